/** `leakwatch incidents [--json] [--service S]`: incidents, their top growth and alert deliveries. */
import { configFrom, parse, printJson } from '../args.js';
import { serviceOf } from '../service.js';
import { Store } from '../../store/index.js';
import { IncidentStore } from '../../store/incidents.js';
import { OutboxStore } from '../../store/outbox.js';
import { formatBytes } from '../../format/units.js';
import { formatConfidence } from '../../alert/message.js';
import { incidentView, type IncidentView } from '../../views/incidents.js';

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
    `#${v.id} ${v.service} ${v.metric} ${v.slopePerHour > 0 ? `growing ${unit(v.slopePerHour)}/h` : `no longer growing (was ${unit(v.openSlopePerHour)}/h)`} — opened ${v.openedAt}` +
      (v.resolvedAt ? `, resolved ${v.resolvedAt} (${v.resolveReason ?? 'growth stopped'})` : ', OPEN'),
    `   now ${unit(v.current)}, confidence ${formatConfidence(v.confidence)}${v.timeToLimit ? `, reaches its limit in ~${v.timeToLimit}` : ''}`,
  ];
  if (v.note) lines.push(`   ${v.note}`);
  for (const g of v.topGrowth.slice(0, 5)) lines.push(`   ${formatBytes(g.deltaBytes).padStart(10)}  ${g.function}`);
  for (const g of v.topGoroutines.slice(0, 3)) lines.push(`   ${`+${g.delta}`.padStart(10)}  goroutines blocked in ${g.function}`);
  for (const d of v.deliveries) lines.push(`   ${d.event} → ${d.channel}: ${d.status} (${d.attempts} attempt${d.attempts === 1 ? '' : 's'})${d.lastError ? `: ${d.lastError}` : ''}`);
  return lines.join('\n') + '\n';
}
