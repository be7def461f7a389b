/** `leakwatch status [--json]`: reads the database the daemon writes; runs the same detector for trends. */
import { configFrom, parse, printJson } from '../args.js';
import { Store } from '../../store/index.js';
import { IncidentStore } from '../../store/incidents.js';
import { detect } from '../../analyze/detector.js';
import { formatBytes } from '../../config/units.js';
import { METRICS, type Metric } from '../../model/incident.js';
import type { ServiceConfig } from '../../config/schema.js';

export interface ServiceStatus {
  name: string;
  state: 'ok' | 'leaking' | 'unreachable' | 'warming';
  lastScrapeAt: string | null;
  lastScrapeOk: boolean | null;
  lastScrapeError?: string;
  samples: number;
  latest: { heapAlloc?: number; heapInuse?: number; sys?: number; rss?: number; goroutines?: number };
  trends: Partial<Record<Metric, { slopePerHour: number; lowerPerHour: number; confidence: number; timeToLimitHours: number | null }>>;
  openIncidents: number;
}

export function serviceStatus(store: Store, incidents: IncidentStore, svc: ServiceConfig, now = Date.now()): ServiceStatus {
  const last = store.lastScrape(svc.name);
  const latest = store.latestSample(svc.name);
  const open = incidents.listOpen(svc.name);
  const samples = store.samples(svc.name, { from: now - svc.window });
  const verdict = samples.length ? detect({ service: svc, samples, now, open }) : undefined;
  const trends: ServiceStatus['trends'] = {};
  for (const m of METRICS) {
    const t = verdict?.trends[m];
    if (t) trends[m] = { slopePerHour: t.slopePerHour, lowerPerHour: t.lowerPerHour, confidence: t.confidence, timeToLimitHours: t.timeToLimitHours };
  }
  const state: ServiceStatus['state'] =
    last && !last.ok ? 'unreachable' : open.length > 0 ? 'leaking' : (verdict?.state ?? 'warming');
  return {
    name: svc.name,
    state,
    lastScrapeAt: last ? new Date(last.at).toISOString() : null,
    lastScrapeOk: last ? last.ok : null,
    ...(last && !last.ok && last.reason ? { lastScrapeError: last.reason } : {}),
    samples: store.sampleCount(svc.name),
    latest: latest
      ? { heapAlloc: latest.heapAlloc, heapInuse: latest.heapInuse, sys: latest.sys, rss: latest.rss, goroutines: latest.goroutines }
      : {},
    trends,
    openIncidents: open.length,
  };
}

export default async function status(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } });
  const config = configFrom(values);
  const store = Store.open(config.database);
  try {
    const incidents = new IncidentStore(store.db);
    const services = config.services.map((s) => serviceStatus(store, incidents, s));
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
  return out;
}
