/**
 * Samples from a Prometheus instead of scraping (`samples: prometheus`, design §8). Queries are
 * batched across services: each tick sends one query_range per metric name for every service of
 * the source (the source's `match` as the label matcher) and splits the series by target, so the
 * load on Prometheus stays ~15 queries per tick whether it serves 10 services or 1,000. A service
 * joining is backfilled with its whole window, in slices oldest first. The mapping is pure; the batcher is
 * the shell.
 */
import { emptySample, type Sample } from '../model/sample.js';
import type { NumericKey } from './memstats-fields.js';
import { withMetricName, type Labels, type PrometheusApi, type RangeSeries } from './prometheus-api.js';
import { toScrapeError } from './errors.js';
import type { ScrapeResult } from './scrape.js';
import { admit, describeInvalid, type InvalidValue } from './validate.js';

/** Metric → Sample field and the factor from the metric's unit to the Sample's. */
export const SAMPLE_METRICS: readonly (readonly [string, NumericKey, number])[] = [
  ['go_memstats_heap_alloc_bytes', 'heapAlloc', 1],
  ['go_memstats_heap_inuse_bytes', 'heapInuse', 1],
  ['go_memstats_heap_idle_bytes', 'heapIdle', 1],
  ['go_memstats_heap_released_bytes', 'heapReleased', 1],
  ['go_memstats_heap_sys_bytes', 'heapSys', 1],
  ['go_memstats_heap_objects', 'heapObjects', 1],
  ['go_memstats_next_gc_bytes', 'nextGC', 1],
  ['go_memstats_sys_bytes', 'sys', 1],
  ['go_goroutines', 'goroutines', 1],
  // The detector tells GC cycles apart by numGC and restarts by totalAlloc going back.
  ['go_gc_duration_seconds_count', 'numGC', 1],
  ['go_memstats_alloc_bytes_total', 'totalAlloc', 1],
  ['process_resident_memory_bytes', 'rss', 1],
  ['process_start_time_seconds', 'processStart', 1000],
  ['go_gc_gogc_percent', 'gogc', 1],
  ['go_gc_gomemlimit_bytes', 'gomemlimit', 1],
];

/** GOMEMLIMIT's "no limit" is math.MaxInt64. */
const NO_MEMLIMIT = 2 ** 62;
/** A backfill asks for at most this many points per series (the step grows with the window). */
export const MAX_BACKFILL_POINTS = 720;

/** A backfill reads its window in slices of this many points per series, oldest first: the memory it takes is one slice's. */
export const BACKFILL_SLICE_POINTS = 60;

/** [start, end] of each slice of a backfill from `startSec` to `endSec` (both included, as query_range's are), oldest first. */
export function backfillSlices(startSec: number, endSec: number, stepSec: number, points = BACKFILL_SLICE_POINTS): [number, number][] {
  const out: [number, number][] = [];
  for (let s = startSec; s <= endSec; s += stepSec * points) out.push([s, Math.min(endSec, s + stepSec * (points - 1))]);
  return out;
}

/** Which target a series belongs to: its job and instance, as Prometheus labels every scraped series. */
export function targetKey(labels: Labels): string | undefined {
  return labels.job === undefined || labels.instance === undefined ? undefined : `${labels.job}\u0000${labels.instance}`;
}

/** Range results per metric → each target's samples, oldest first, one per evaluation step. */
export function samplesByTarget(results: readonly { field: NumericKey; factor: number; series: readonly RangeSeries[] }[]): Map<string, Sample[]> {
  const byTarget: SamplesByTime = new Map();
  for (const r of results) foldSeries(byTarget, r);
  return finishSamples(byTarget);
}

/** Samples being assembled: per target, per evaluation time. */
type SamplesByTime = Map<string, Map<number, Sample>>;

/** Folds one metric's range result into the samples being assembled (its series can then be dropped). */
function foldSeries(byTarget: SamplesByTime, { field, factor, series }: { field: NumericKey; factor: number; series: readonly RangeSeries[] }): void {
  for (const s of series) {
    const key = targetKey(s.labels);
    if (key === undefined) continue;
    let byT = byTarget.get(key);
    if (!byT) byTarget.set(key, (byT = new Map()));
    for (const [sec, v] of s.points) {
      // Impossible values (NaN, ±Inf, negative…) stay in, for admitSample to drop and name.
      if (field === 'gomemlimit' && v >= NO_MEMLIMIT) continue;
      const t = Math.round(sec * 1000);
      let sample = byT.get(t);
      if (!sample) byT.set(t, (sample = emptySample(t)));
      // Several series per target (extra labels) would be a misconfigured match: the first wins.
      // Every field read here is a whole number in the Sample; a fraction is Prometheus' own doing
      // (a downsampled average in Thanos or Mimir), not the target's, so it is rounded, not refused.
      if (sample[field] === undefined) sample[field] = Math.round(v * factor);
    }
  }
}

function finishSamples(byTarget: SamplesByTime): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const [key, byT] of byTarget) out.set(key, [...byT.values()].sort((a, b) => a.t - b.t));
  return out;
}

const METRIC_OF = new Map(SAMPLE_METRICS.map(([metric, field, factor]) => [field, { metric, factor }]));

/**
 * A sample read from Prometheus through the validation table every scraped sample goes through
 * (collect/validate.ts): values no Go runtime can produce are dropped and named, never stored.
 */
export function admitSample(sample: Sample, now?: number): { sample: Sample; invalid: InvalidValue[] } {
  const readings = [];
  for (const [field, m] of METRIC_OF) {
    const value = sample[field];
    if (value !== undefined) readings.push({ field, name: m.metric, raw: String(m.factor === 1 ? value : value / m.factor), value });
  }
  const { values, invalid } = admit(readings, { now });
  return { sample: { ...values, t: sample.t }, invalid };
}

/** What the batcher feeds: the daemon's ServiceWatch. */
export interface SampleSink {
  readonly svc: { readonly window: number };
  /** t of the newest sample the sink holds (points at or before it are not fed again). */
  lastSampleAt(): number | undefined;
  ingest(results: ScrapeResult[]): Promise<void>;
}

interface Member {
  sink: SampleSink;
  backfilled: boolean;
}

/** One Prometheus source at one step: the services it feeds, one batch of queries per tick. */
export class PrometheusSamples {
  private readonly members = new Map<string, Member>();
  private lastEnd: number | undefined;

  constructor(
    private readonly api: PrometheusApi,
    private readonly match: string | undefined,
    private readonly stepMs: number,
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** A service joins (keyed by its target's job and instance); it is backfilled on the next tick. */
  add(key: string, sink: SampleSink): void {
    this.members.set(key, { sink, backfilled: false });
  }

  remove(key: string): void {
    this.members.delete(key);
  }

  async tick(now = Date.now()): Promise<void> {
    const fresh = [...this.members].filter(([, m]) => !m.backfilled);
    const running = [...this.members].filter(([, m]) => m.backfilled);
    const stepSec = Math.max(1, Math.round(this.stepMs / 1000));
    if (fresh.length) {
      const window = Math.max(...fresh.map(([, m]) => m.sink.svc.window));
      const backfillStep = Math.max(stepSec, Math.ceil(window / 1000 / MAX_BACKFILL_POINTS));
      const end = Math.floor(now / (backfillStep * 1000)) * backfillStep;
      const slices = backfillSlices(end - window / 1000, end, backfillStep);
      for (const [i, [from, to]] of slices.entries()) {
        if (!(await this.fetchInto(fresh, from, to, backfillStep, now, { backfillSlice: { last: i === slices.length - 1 } }))) break;
      }
      for (const [, m] of fresh) m.backfilled = true;
    }
    // Evaluation times on one grid (multiples of the step), so consecutive ticks never repeat or
    // straddle a point; a missed tick is caught up, up to 10 steps.
    const step = stepSec * 1000;
    const end = Math.floor(now / step) * step;
    if (running.length && (this.lastEnd === undefined || end > this.lastEnd)) {
      const start = Math.max(this.lastEnd === undefined ? end : this.lastEnd + step, end - 10 * step);
      await this.fetchInto(running, start / 1000, end / 1000, stepSec, now);
    }
    this.lastEnd = end;
  }

  /**
   * Queries one range for `members` and feeds each its samples; false when Prometheus failed
   * (recorded as each one's failed scrape). A backfill slice reads its queries one at a time, and
   * only the last slice reports a target with no points (a target younger than the window has
   * none in the early ones).
   */
  private async fetchInto(members: [string, Member][], startSec: number, endSec: number, stepSec: number, now: number, opts: { backfillSlice?: { last: boolean } } = {}): Promise<boolean> {
    const oneAtATime = opts.backfillSlice !== undefined;
    const reportMissing = opts.backfillSlice?.last ?? true;
    const started = performance.now();
    let byTarget: Map<string, Sample[]>;
    try {
      const assembled: SamplesByTime = new Map();
      const fold = async ([metric, field, factor]: (typeof SAMPLE_METRICS)[number]): Promise<void> =>
        foldSeries(assembled, { field, factor, series: await this.api.queryRange(withMetricName(metric, this.match), startSec, endSec, stepSec) });
      // A tick's queries go out at once; a backfill slice's one after the other, each folded in
      // before the next is read: its responses are ~60× a tick's, and only one is held at a time.
      if (oneAtATime) for (const m of SAMPLE_METRICS) await fold(m);
      else await Promise.all(SAMPLE_METRICS.map(fold));
      byTarget = finishSamples(assembled);
    } catch (err) {
      const e = toScrapeError(err);
      const failed: ScrapeResult = { at: now, ok: false, failures: [{ source: 'prometheus', code: e.code, reason: e.message }], durationMs: performance.now() - started, fetched: [] };
      await Promise.all(members.map(([, m]) => m.sink.ingest([failed])));
      return false;
    }
    const durationMs = performance.now() - started;
    await Promise.all(members.map(([key, m]) => {
      const after = m.sink.lastSampleAt() ?? -Infinity;
      const checked = (byTarget.get(key) ?? []).filter((s) => s.t > after).map((s) => admitSample(s, now));
      const invalidOf = (invalid: InvalidValue[]) => invalid.length ? [{ source: 'prometheus' as const, code: 'invalid_value' as const, reason: describeInvalid('prometheus', invalid) }] : [];
      const samples = checked.filter((c) => c.sample.heapAlloc !== undefined);
      if (samples.length === 0) {
        if (!reportMissing && checked.length === 0) return undefined;
        const [job, instance] = key.split('\u0000');
        // Points whose heap value was impossible are reported as such, not as missing.
        const lastInvalid = checked.findLast((c) => c.invalid.length)?.invalid;
        return m.sink.ingest([{
          at: now, ok: false, durationMs, fetched: [],
          failures: lastInvalid ? invalidOf(lastInvalid) : [{ source: 'prometheus', code: 'no_go_metrics', reason: `prometheus ${this.api.baseUrl} has no go_memstats samples for job="${job}",instance="${instance}" in this interval (target down or not scraped?)` }],
        }]);
      }
      return m.sink.ingest(samples.map(({ sample, invalid }) => ({ at: sample.t, ok: true, sample, failures: invalidOf(invalid), durationMs, fetched: [] })));
    }));
    return true;
  }
}
