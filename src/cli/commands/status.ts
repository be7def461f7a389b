/** `leakwatch status [--json]`: reads the database the daemon writes; runs the same detector for trends. */
import { configFrom, parse, printJson } from '../args.js';
import { Store } from '../../store/index.js';
import { IncidentStore } from '../../store/incidents.js';
import { formatBytes } from '../../format/units.js';
import { serviceStatus, type ServiceStatus } from '../../views/status.js';
import { watchedServices } from '../../views/discovered.js';

export default async function status(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } });
  const config = configFrom(values);
  const store = Store.open(config.database);
  try {
    const incidents = new IncidentStore(store.db);
    const services = watchedServices(config, store).map((s) => serviceStatus(store, incidents, s));
    if (values.json) printJson({ services });
    else process.stdout.write(renderStatus(services));
    return 0;
  } finally {
    store.close();
  }
}

const n = (v: number | undefined, f: (x: number) => string) => (v === undefined ? '-' : f(v));

export function renderStatus(services: ServiceStatus[]): string {
  const rows = [['SERVICE', 'STATE', 'LAST SCRAPE', 'HEAP', 'SYS', 'RSS', 'GOROUTINES', 'TRENDS', 'OPEN']];
  for (const s of services) {
    const trends = Object.entries(s.trends)
      .map(([m, t]) => `${m} ${m === 'goroutines' ? Math.round(t.slopePerHour) : formatBytes(t.slopePerHour)}/h`)
      .join(', ');
    rows.push([
      s.name,
      s.state,
      s.lastScrapeAt ? `${s.lastScrapeAt.slice(0, 19).replace('T', ' ')}${s.lastScrapeOk ? '' : ' (failed)'}` : 'never',
      n(s.latest.heapAlloc, formatBytes),
      n(s.latest.sys, formatBytes),
      n(s.latest.rss, formatBytes),
      n(s.latest.goroutines, String),
      trends || '-',
      String(s.openIncidents),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  let out = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
  for (const s of services) if (s.lastScrapeError) out += `${s.name}: last scrape failed: ${s.lastScrapeError}\n`;
  for (const s of services) if (s.lastProfilesError) out += `${s.name}: last profile capture failed: ${s.lastProfilesError}\n`;
  for (const s of services) {
    if (s.scrapesSkipped > 0) out += `${s.name}: ${s.scrapesSkipped} scheduled scrapes skipped (previous scrape still running, or leakwatch too busy); last lag ${s.scrapeLagSeconds ?? 0} s\n`;
  }
  return out;
}
