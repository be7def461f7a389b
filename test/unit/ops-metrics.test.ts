import { describe, expect, it } from 'vitest';
import { escapeLabelValue, renderMetrics, type MetricsSnapshot } from '../../src/web/metrics.js';
import { readProcessMetrics } from '../../src/web/server.js';

/**
 * A strict reader of text format 0.0.4: every line is a comment (HELP/TYPE) or a sample of the
 * family most recently declared; families appear once; label values are properly quoted.
 */
function parseExposition(text: string) {
  expect(text.endsWith('\n')).toBe(true);
  const families = new Map<string, { type: string; help: string; samples: { labels: Record<string, string>; value: number }[] }>();
  let current = '';
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      expect(families.has(m[1]), `family ${m[1]} declared twice`).toBe(false);
      families.set(m[1], { type: '', help: m[2], samples: [] });
      current = m[1];
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      expect(m[1]).toBe(current);
      families.get(current)!.type = m[2];
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `bad line: ${line}`).not.toBeNull();
    expect(m![1]).toBe(current);
    const labels: Record<string, string> = {};
    const body = m![2] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/gy;
    let lm: RegExpExecArray | null;
    let consumed = 0;
    while ((lm = re.exec(body))) {
      labels[lm[1]] = lm[2].replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
      consumed = re.lastIndex;
      if (lm[3] === '') break;
    }
    expect(consumed, `bad labels: ${body}`).toBe(body.length);
    const v = m![3] === '+Inf' ? Infinity : m![3] === '-Inf' ? -Infinity : Number(m![3]);
    expect(m![3] === 'NaN' || !Number.isNaN(v), `bad value ${m![3]}`).toBe(true);
    families.get(current)!.samples.push({ labels, value: v });
  }
  return families;
}

const snapshot: MetricsSnapshot = {
  services: [
    {
      name: 'checkout',
      state: 'leaking',
      scrapesTotal: 120,
      failuresTotal: { timeout: 3, http_503: 1 },
      lastScrapeDurationSeconds: 0.042,
      lastSampleAgeSeconds: 7,
      scrapeLagSeconds: 0.25,
      scrapesSkippedTotal: 3,
      slopesPerHour: { heap: 5_242_880, goroutines: 120 },
      openIncidents: 1,
    },
    {
      name: 'we"ird\\name\nx',
      state: 'warming',
      scrapesTotal: 0,
      failuresTotal: {},
      lastScrapeDurationSeconds: null,
      lastSampleAgeSeconds: null,
      slopesPerHour: {},
      openIncidents: 0,
    },
  ],
  outboxDepth: 2,
  process: { residentMemoryBytes: 50_000_000, heapBytes: 20_000_000, cpuSecondsTotal: 1.5, startTimeSeconds: 1_760_000_000, openFds: 31 },
};

describe('renderMetrics', () => {
  const fams = parseExposition(renderMetrics(snapshot));
  const value = (name: string, labels: Record<string, string>) =>
    fams.get(name)?.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;

  it('declares every family once with a counter or gauge type', () => {
    expect([...fams.keys()]).toEqual([
      'leakwatch_scrapes_total', 'leakwatch_scrape_failures_total', 'leakwatch_scrape_duration_seconds',
      'leakwatch_last_sample_age_seconds', 'leakwatch_scrape_lag_seconds', 'leakwatch_scrapes_skipped_total', 'leakwatch_slope_per_hour', 'leakwatch_open_incidents',
      'leakwatch_service_state', 'leakwatch_outbox_depth', 'leakwatch_growth_bytes_per_hour', 'leakwatch_time_to_limit_seconds',
      'leakwatch_incident_open', 'process_resident_memory_bytes', 'process_heap_bytes',
      'process_cpu_seconds_total', 'process_start_time_seconds', 'process_open_fds',
    ]);
    for (const [name, f] of fams) expect(f.type).toBe(name.endsWith('_total') ? 'counter' : 'gauge');
  });

  it('reports per-service counters, failures by code, slopes by metric', () => {
    expect(value('leakwatch_scrapes_total', { service: 'checkout' })).toBe(120);
    expect(value('leakwatch_scrape_failures_total', { service: 'checkout', code: 'timeout' })).toBe(3);
    expect(value('leakwatch_scrape_failures_total', { service: 'checkout', code: 'http_503' })).toBe(1);
    expect(value('leakwatch_scrape_duration_seconds', { service: 'checkout' })).toBe(0.042);
    expect(value('leakwatch_last_sample_age_seconds', { service: 'checkout' })).toBe(7);
    expect(value('leakwatch_scrape_lag_seconds', { service: 'checkout' })).toBe(0.25);
    expect(value('leakwatch_scrapes_skipped_total', { service: 'checkout' })).toBe(3);
    expect(value('leakwatch_slope_per_hour', { service: 'checkout', metric: 'heap' })).toBe(5_242_880);
    expect(value('leakwatch_slope_per_hour', { service: 'checkout', metric: 'goroutines' })).toBe(120);
    expect(value('leakwatch_open_incidents', { service: 'checkout' })).toBe(1);
    expect(value('leakwatch_service_state', { service: 'checkout', state: 'leaking' })).toBe(1);
    expect(value('leakwatch_outbox_depth', {})).toBe(2);
    expect(value('process_resident_memory_bytes', {})).toBe(50_000_000);
  });

  it('escapes label values and round-trips them', () => {
    const name = 'we"ird\\name\nx';
    expect(value('leakwatch_scrapes_total', { service: name })).toBe(0);
    expect(escapeLabelValue(name)).toBe('we\\"ird\\\\name\\nx');
  });

  it('omits unknown gauges instead of inventing zeros', () => {
    const weird = 'we"ird\\name\nx';
    expect(fams.get('leakwatch_scrape_duration_seconds')!.samples.some((s) => s.labels.service === weird)).toBe(false);
    expect(fams.get('leakwatch_last_sample_age_seconds')!.samples.some((s) => s.labels.service === weird)).toBe(false);
  });

  it("shows where leakwatch's own memory is: V8 heap reserved, per space, and outside it", () => {
    const own = parseExposition(renderMetrics({ services: [], outboxDepth: 0, process: readProcessMetrics() }));
    const one = (name: string, labels: Record<string, string> = {}) =>
      own.get(name)?.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    expect(one('nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(one('process_heap_bytes')!);
    expect(one('nodejs_external_memory_bytes')).toBeGreaterThan(0);
    const spaces = own.get('nodejs_heap_space_size_total_bytes')!.samples.map((s) => s.labels.space);
    expect(spaces).toEqual(expect.arrayContaining(['new', 'old', 'code', 'large_object']));
    expect(one('nodejs_heap_space_size_total_bytes', { space: 'old' })).toBeGreaterThan(0);
  });

  it('renders special float values', () => {
    const text = renderMetrics({
      services: [{ ...snapshot.services[0], slopesPerHour: { heap: NaN, rss: Infinity, sys: -Infinity } }],
      outboxDepth: 0,
    });
    expect(text).toContain('leakwatch_slope_per_hour{service="checkout",metric="heap"} NaN\n');
    expect(text).toContain('leakwatch_slope_per_hour{service="checkout",metric="rss"} +Inf\n');
    expect(text).toContain('leakwatch_slope_per_hour{service="checkout",metric="sys"} -Inf\n');
    parseExposition(text);
  });
});
