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
  /** Latest conservative slope per hour (≤ 0 once growth stopped: never shown as growth). */
  slopePerHour: number;
  /** The conservative slope per hour when the incident opened. */
  openSlopePerHour: number;
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
    openSlopePerHour: i.openSlopePerHour ?? i.slopePerHour,
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

/** Two significant digits under 10 h (0.02h, 2.5h), whole hours above: a minutes-away limit never reads 0h. */
const roundHours = (h: number) => (h < 10 ? Number(h.toPrecision(2)) : Math.round(h));
