/** Read model shared by `leakwatch incidents` and the dashboard: an incident with its deliveries. */
import type { Incident } from '../model/incident.js';
import type { OutboxStore } from '../store/outbox.js';

export interface IncidentView {
  id: number;
  service: string;
  metric: Incident['metric'];
  openedAt: string;
  resolvedAt: string | null;
  resolveReason?: string;
  slopePerHour: number;
  confidence: number;
  current: number;
  timeToLimit: string | null;
  note?: string;
  topGrowth: Incident['topGrowth'];
  topGoroutines: Incident['topGoroutines'];
  baselineProfileId?: number;
  currentProfileId?: number;
  deliveries: { channel: string; event: string; status: 'sent' | 'pending' | 'failed'; attempts: number; lastError?: string }[];
}

export function incidentView(i: Incident, outbox: OutboxStore): IncidentView {
  return {
    id: i.id,
    service: i.service,
    metric: i.metric,
    openedAt: new Date(i.openedAt).toISOString(),
    resolvedAt: i.resolvedAt === null ? null : new Date(i.resolvedAt).toISOString(),
    ...(i.resolveReason ? { resolveReason: i.resolveReason } : {}),
    slopePerHour: i.slopePerHour,
    confidence: i.confidence,
    current: i.current,
    timeToLimit: i.timeToLimitHours === null ? null : `${roundHours(i.timeToLimitHours)}h`,
    ...(i.note ? { note: i.note } : {}),
    topGrowth: i.topGrowth,
    topGoroutines: i.topGoroutines,
    baselineProfileId: i.baselineProfileId,
    currentProfileId: i.currentProfileId,
    deliveries: outbox.forIncident(i.id).map((d) => ({
      channel: d.channel,
      event: d.eventKind,
      status: d.status === 'sending' ? 'pending' : d.status,
      attempts: d.attempts,
      ...(d.lastError ? { lastError: d.lastError } : {}),
    })),
  };
}

const roundHours = (h: number) => (h < 10 ? Math.round(h * 10) / 10 : Math.round(h));
