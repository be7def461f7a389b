/** `leakwatch incidents [--json] [--service S]`: incidents, their top growth and alert deliveries. */
import { configFrom, parse, printJson, serviceOf } from '../args.js';
import { Store } from '../../store/index.js';
import { IncidentStore } from '../../store/incidents.js';
import { OutboxStore } from '../../store/outbox.js';
import { formatBytes } from '../../config/units.js';
import type { Incident } from '../../model/incident.js';

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

export default async function incidents(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' }, service: { type: 'string' } });
  const config = configFrom(values);
  const service = values.service === undefined ? undefined : serviceOf(config, values.service as string).name;
  const store = Store.open(config.database);
  try {
    const list = new IncidentStore(store.db).list({ service });
    const outbox = new OutboxStore(store.db);
    const views = list.map((i) => incidentView(i, outbox));
    if (values.json) printJson({ incidents: views });
    else process.stdout.write(views.length ? views.map(renderIncident).join('\n') : 'no incidents\n');
    return 0;
  } finally {
    store.close();
  }
}

function renderIncident(v: IncidentView): string {
  const unit = (n: number) => (v.metric === 'goroutines' ? `${Math.round(n)}` : formatBytes(n));
  const lines = [
    `#${v.id} ${v.service} ${v.metric} growing ${unit(v.slopePerHour)}/h — opened ${v.openedAt}` +
      (v.resolvedAt ? `, resolved ${v.resolvedAt} (${v.resolveReason ?? 'growth stopped'})` : ', OPEN'),
    `   now ${unit(v.current)}, confidence ${(v.confidence * 100).toFixed(0)}%${v.timeToLimit ? `, reaches its limit in ~${v.timeToLimit}` : ''}`,
  ];
  if (v.note) lines.push(`   ${v.note}`);
  for (const g of v.topGrowth.slice(0, 5)) lines.push(`   ${formatBytes(g.deltaBytes).padStart(10)}  ${g.function}`);
  for (const g of v.topGoroutines.slice(0, 3)) lines.push(`   ${`+${g.delta}`.padStart(10)}  goroutines blocked in ${g.function}`);
  for (const d of v.deliveries) lines.push(`   ${d.event} → ${d.channel}: ${d.status} (${d.attempts} attempt${d.attempts === 1 ? '' : 's'})${d.lastError ? `: ${d.lastError}` : ''}`);
  return lines.join('\n') + '\n';
}
