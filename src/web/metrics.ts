/**
 * Prometheus text exposition format 0.0.4 for leakwatch's own health: pure renderer, no I/O.
 * Each family is written once (HELP, TYPE, then all its samples), as the format requires.
 */
import { METRICS, type Metric } from '../model/incident.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface ServiceMetrics {
  name: string;
  /** ok | leaking | unreachable | warming (design §3 status). */
  state: string;
  scrapesTotal: number;
  /** Failed scrapes by error code (e.g. timeout, http_503, decode). */
  failuresTotal: Record<string, number>;
  lastScrapeDurationSeconds: number | null;
  lastSampleAgeSeconds: number | null;
  /** How late the last scheduled scrape started after it was due. */
  scrapeLagSeconds?: number | null;
  /** Scheduled scrapes skipped: the previous one still running, or the tick fired late. */
  scrapesSkippedTotal?: number;
  /** Fitted slope per hour (bytes or goroutines), only for metrics that have a trend. */
  slopesPerHour: Partial<Record<Metric, number>>;
  openIncidents: number;
  /** Hours until the configured limit per metric, where a limit is set and the metric grows. */
  timeToLimitHours?: Partial<Record<Metric, number>>;
  /** Metrics with an open incident. */
  openMetrics?: Metric[];
}

/** Memory metrics, whose slope is exported as bytes per hour (goroutines are in leakwatch_slope_per_hour). */
const BYTE_METRICS: readonly Metric[] = ['heap', 'sys', 'rss'];

/** leakwatch's own process; the HTTP server fills it in when the source does not. */
export interface ProcessMetrics {
  residentMemoryBytes: number;
  heapBytes: number;
  /** V8 heap reserved (used or not), and Buffer/ArrayBuffer memory outside it (SQLite's is in neither). */
  heapTotalBytes?: number;
  externalBytes?: number;
  /** Per V8 heap space (new_space, old_space, code_space, ...): bytes reserved. */
  heapSpaceBytes?: Record<string, number>;
  cpuSecondsTotal: number;
  startTimeSeconds: number;
  openFds?: number;
}

export interface MetricsSnapshot {
  services: ServiceMetrics[];
  /** Deliveries waiting in the outbox (pending or retrying). */
  outboxDepth: number;
  process?: ProcessMetrics;
}

type Labels = Record<string, string>;
interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples: { labels: Labels; value: number }[];
}

export function renderMetrics(snap: MetricsSnapshot): string {
  const fam = (name: string, type: Family['type'], help: string): Family => ({ name, type, help, samples: [] });
  const scrapes = fam('leakwatch_scrapes_total', 'counter', 'Scrapes attempted per service.');
  const failures = fam('leakwatch_scrape_failures_total', 'counter', 'Failed scrapes per service and error code.');
  const duration = fam('leakwatch_scrape_duration_seconds', 'gauge', 'Duration of the last scrape.');
  const age = fam('leakwatch_last_sample_age_seconds', 'gauge', 'Seconds since the last stored sample.');
  const lag = fam('leakwatch_scrape_lag_seconds', 'gauge', 'How late the last scheduled scrape started after it was due.');
  const skipped = fam('leakwatch_scrapes_skipped_total', 'counter', 'Scheduled scrapes skipped: the previous one still running, or the tick fired late.');
  const slope = fam('leakwatch_slope_per_hour', 'gauge', 'Fitted growth per hour (bytes, or goroutines) per metric.');
  const incidents = fam('leakwatch_open_incidents', 'gauge', 'Open leak incidents per service.');
  const state = fam('leakwatch_service_state', 'gauge', 'Current detector state per service (1 for the active state).');
  const outbox = fam('leakwatch_outbox_depth', 'gauge', 'Alert deliveries waiting in the outbox.');
  // The verdicts (design §8), for Grafana panels and Alertmanager rules.
  const growth = fam('leakwatch_growth_bytes_per_hour', 'gauge', 'Fitted growth of a memory metric, bytes per hour.');
  const ttl = fam('leakwatch_time_to_limit_seconds', 'gauge', 'Seconds until the configured limit at the fitted growth.');
  const open = fam('leakwatch_incident_open', 'gauge', '1 while a leak incident is open for the service and metric.');

  for (const s of snap.services) {
    const service = { service: s.name };
    scrapes.samples.push({ labels: service, value: s.scrapesTotal });
    for (const code of Object.keys(s.failuresTotal).sort()) {
      failures.samples.push({ labels: { ...service, code }, value: s.failuresTotal[code] });
    }
    if (s.lastScrapeDurationSeconds !== null) duration.samples.push({ labels: service, value: s.lastScrapeDurationSeconds });
    if (s.lastSampleAgeSeconds !== null) age.samples.push({ labels: service, value: s.lastSampleAgeSeconds });
    if (s.scrapeLagSeconds != null) lag.samples.push({ labels: service, value: s.scrapeLagSeconds });
    if (s.scrapesSkippedTotal !== undefined) skipped.samples.push({ labels: service, value: s.scrapesSkippedTotal });
    for (const metric of Object.keys(s.slopesPerHour).sort() as Metric[]) {
      const v = s.slopesPerHour[metric];
      if (v !== undefined) slope.samples.push({ labels: { ...service, metric }, value: v });
    }
    incidents.samples.push({ labels: service, value: s.openIncidents });
    for (const metric of BYTE_METRICS) {
      const v = s.slopesPerHour[metric];
      if (v !== undefined) growth.samples.push({ labels: { ...service, metric }, value: v });
    }
    for (const metric of METRICS) {
      const h = s.timeToLimitHours?.[metric];
      if (h !== undefined) ttl.samples.push({ labels: { ...service, metric }, value: h * 3600 });
    }
    if (s.openMetrics) for (const metric of METRICS) open.samples.push({ labels: { ...service, metric }, value: s.openMetrics.includes(metric) ? 1 : 0 });
    state.samples.push({ labels: { ...service, state: s.state }, value: 1 });
  }
  outbox.samples.push({ labels: {}, value: snap.outboxDepth });

  const families = [scrapes, failures, duration, age, lag, skipped, slope, incidents, state, outbox, growth, ttl, open];
  if (snap.process) families.push(...processFamilies(snap.process));
  return families.map(renderFamily).join('');
}

function processFamilies(p: ProcessMetrics): Family[] {
  const one = (name: string, type: Family['type'], help: string, value: number): Family => ({
    name, type, help, samples: [{ labels: {}, value }],
  });
  const out = [
    one('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', p.residentMemoryBytes),
    one('process_heap_bytes', 'gauge', 'V8 heap in use, in bytes.', p.heapBytes),
    one('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', p.cpuSecondsTotal),
    one('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', p.startTimeSeconds),
  ];
  if (p.heapTotalBytes !== undefined) out.push(one('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap reserved, in bytes.', p.heapTotalBytes));
  if (p.externalBytes !== undefined) out.push(one('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JavaScript objects (Buffers), in bytes.', p.externalBytes));
  if (p.heapSpaceBytes) {
    out.push({
      name: 'nodejs_heap_space_size_total_bytes', type: 'gauge', help: 'V8 heap reserved per space, in bytes.',
      samples: Object.keys(p.heapSpaceBytes).sort().map((space) => ({ labels: { space }, value: p.heapSpaceBytes![space] })),
    });
  }
  if (p.openFds !== undefined) out.push(one('process_open_fds', 'gauge', 'Number of open file descriptors.', p.openFds));
  return out;
}

function renderFamily(f: Family): string {
  let out = `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
  for (const s of f.samples) out += `${f.name}${renderLabels(s.labels)} ${formatValue(s.value)}\n`;
  return out;
}

function renderLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return '{' + keys.map((k) => `${k}="${escapeLabelValue(labels[k])}"`).join(',') + '}';
}

/** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
