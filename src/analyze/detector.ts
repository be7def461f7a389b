/**
 * The leak detector: one pure function the daemon calls after every scrape and `leakwatch replay`
 * calls at every trace sample (design §4):
 *
 *  1. only the current process lifetime, minus its warm-up, minus what is older than `window`;
 *  2. per-bucket floors (series.ts), never raw HeapAlloc;
 *  3. Theil–Sen slope, Sen's interval and Mann–Kendall, both corrected for autocorrelation
 *     (trend.ts), over the whole span and over trailing spans of 4, 2 and 1 h, so a leak that
 *     began late in the window is not diluted by the flat hours before it;
 *  4. a span leaks when its conservative (lower) slope clears the threshold — scaled up by
 *     √(window/span) for shorter spans —, it is ≥99% significant, its conservative rise is ≥5×
 *     the floor's own noise, no single jump carries most of the rise (steps, bursts, Sys peaks),
 *     and its last third still grows above the threshold at ≥ half the span's rate (caches that
 *     filled, bursts that drain); its conservative slope must clear the bar even after removing
 *     what co-moving traffic explains (traffic.ts: in-flight data follows the allocation rate, a
 *     leak does not need it to); goroutine growth must not come in a few jumps (worker pools);
 *  5. growth stopped = the last third of the whole span has its upper bound below the threshold.
 */
import type { ServiceConfig, Rate } from '../config/schema.js';
import type { Incident, Metric } from '../model/incident.js';
import { METRICS } from '../model/incident.js';
import type { Sample } from '../model/sample.js';
import { incidentEvents, type IncidentEvent, type MetricAssessment } from './lifecycle.js';
import { bucketWidth, floorSeries, lifetimeBegan, lifetimeStartIndex, type FloorSeries } from './series.js';
import { fitTrend, timeToLimit, type Trend, type TrendFit } from './trend.js';
import { trafficExplainer } from './traffic.js';

export type { IncidentEvent, Trend };

export interface DetectInput {
  service: ServiceConfig;
  /** Ascending t; at least the last `window` of the service. */
  samples: readonly Sample[];
  now: number;
  /** Open incidents of this service. */
  open: readonly Incident[];
}

export interface Verdict {
  state: 'ok' | 'leaking' | 'warming';
  trends: Partial<Record<Metric, Trend>>;
  events: IncidentEvent[];
}

const HOUR = 3_600_000;
const MIN_POINTS = 6;
/**
 * Spans are fractions of the window, so any window behaves like the default 6 h one: the whole
 * span, then trailing 4 h, 2 h and 1 h; nothing is judged on less than 1 h (window/6).
 */
const TRAILING_SPANS = [2 / 3, 1 / 3, 1 / 6];
const MIN_SPAN = 1 / 6;
/** The conservative rise over a span must exceed the series' own noise this many times. */
const NOISE_MULTIPLE = 5;
/**
 * A leak spreads its growth over the span; a step, a burst or Sys ratcheting to a new peak puts it
 * in one jump. No single bucket-to-bucket rise may carry more than this share of the fitted rise.
 */
const MAX_JUMP_SHARE = 0.6;
/**
 * Sys only moves when the heap reaches a new peak, and worker pools resize in jumps of many
 * goroutines, so steps are normal there: their growth must come in more, smaller steps.
 */
const MAX_JUMP_SHARE_STEPPY = 0.35;
/**
 * A goroutine leak adds goroutines one request at a time, so its rise spreads over most buckets;
 * a worker pool resizing a few times in a row puts all of it in a few jumps. The largest quarter
 * of the bucket-to-bucket rises may carry at most this share of the fitted rise.
 */
const MAX_TOP_QUARTER_SHARE = 0.7;
const MIN_CONFIDENCE = 0.99;
/** The recent part of the span that must still grow: its last third, at least 4 buckets. */
const RECENT_FRACTION = 1 / 3;
const MIN_RECENT_POINTS = 4;
/** GC cycles the recent part needs before a flat heap floor counts as "growth stopped". */
const MIN_RECENT_GCS = 2;

const THRESHOLD: Record<Metric, 'heapGrowth' | 'sysGrowth' | 'rssGrowth' | 'goroutineGrowth'> = {
  heap: 'heapGrowth',
  sys: 'sysGrowth',
  rss: 'rssGrowth',
  goroutines: 'goroutineGrowth',
};

/** Threshold in the metric's unit per hour at level `current`. */
export function thresholdPerHour(rate: Rate, current: number): number {
  return rate.unit === 'percent' ? (rate.value / 100) * current : rate.value;
}

export function detect(input: DetectInput): Verdict {
  const { service, samples, now } = input;
  if (samples.length === 0) return { state: 'ok', trends: {}, events: [] };
  const life = lifetimeStartIndex(samples);
  const began = lifetimeBegan(samples, life);
  const lifeStart = samples[life].processStart ?? samples[life].t;
  const warmupEnd = lifeStart + service.warmup;
  const width = bucketWidth(service.window);
  // Whole buckets only: a bucket's floor then changes only when a bucket completes, not with every scrape.
  const fromT = Math.ceil(Math.max(warmupEnd, now - service.window, samples[life].t) / width) * width;
  const from = Math.max(life, firstIndexAtOrAfter(samples, fromT - width));
  const floors = floorSeries(samples, from, fromT, now, width, service.gogc);

  // The heap floor only moves when a GC completes: without GCs late in the span there is no
  // evidence that heap growth stopped (a growing heap GCs less and less often).
  const heapJudgeable = gcsSince(samples, from, now - (now - fromT) * RECENT_FRACTION) >= MIN_RECENT_GCS;
  const windowHours = service.window / HOUR;
  const assessments: MetricAssessment[] = [];
  for (const metric of METRICS) {
    // Growth that co-moving traffic explains is in-flight work (its heap, pages, goroutines), not a leak (traffic.ts).
    const explained = trafficExplainer(floors[metric], floors.allocRate, windowHours * MIN_SPAN);
    const a = assess(metric, floors[metric], service, metric !== 'heap' || heapJudgeable, explained);
    if (a) assessments.push(a);
  }
  explainByHeap(assessments, input.open.some((i) => i.metric === 'heap' && i.resolvedAt === null), heapJudgeable);

  const events = incidentEvents(assessments, input.open, { now, lifetimeBegan: began, cooldown: service.cooldown });
  const trends: Partial<Record<Metric, Trend>> = {};
  for (const a of assessments) trends[a.metric] = a.trend;
  const opened = events.some((e) => e.type === 'open');
  const resolved = new Set(events.flatMap((e) => (e.type === 'resolve' ? [e.incidentId] : [])));
  const stillOpen = input.open.some((i) => i.resolvedAt === null && !resolved.has(i.id));
  const state = opened || stillOpen ? 'leaking' : now < warmupEnd ? 'warming' : 'ok';
  return { state, trends, events };
}

/** Completed GC cycles among samples[from..] at or after `t`; Infinity when NumGC is not known. */
function gcsSince(samples: readonly Sample[], from: number, t: number): number {
  const last = samples[samples.length - 1];
  const first = samples[Math.max(from, firstIndexAtOrAfter(samples, t))];
  if (last?.numGC === undefined || first?.numGC === undefined) return Infinity;
  return last.numGC - first.numGC;
}

function firstIndexAtOrAfter(samples: readonly Sample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `explained(t)`: the growth per hour that traffic explains from series time `t` to the end; a
 * span leaks only when its conservative slope clears the bar without it.
 */
function assess(metric: Metric, series: FloorSeries, service: ServiceConfig, judgeable: boolean, explained?: (t: number) => number): MetricAssessment | undefined {
  const n = series.t.length;
  if (n < 3) return undefined;
  const full = cachedFit(series);
  const current = series.v[n - 1];
  const limit = service.limits[metric];
  const toTrend = (f: TrendFit): Trend => {
    const trend: Trend = {
      slopePerHour: f.slope, lowerPerHour: f.lower, upperPerHour: f.upper, confidence: f.confidence,
      current, n: f.n, timeToLimitHours: timeToLimit(current, f.slope, limit),
    };
    if (limit !== undefined) trend.limit = limit;
    return trend;
  };
  const rate = service.thresholds[THRESHOLD[metric]];
  const span = series.t[n - 1] - series.t[0];
  const windowHours = service.window / HOUR;
  const minSpan = windowHours * MIN_SPAN - 1e-9;
  if (!rate || n < MIN_POINTS || span < minSpan) return { metric, trend: toTrend(full), leaking: false, stopped: false };
  const threshold = thresholdPerHour(rate, current);
  const stopped = judgeable && recentFit(series, 0).upper < threshold;
  let noise: number | undefined;
  if (!stopped) {
    // Longest trailing span first: a leak that began late in the window shows in a short one.
    const trailing = TRAILING_SPANS.map((f) => f * windowHours).filter((h) => h < span && h >= minSpan);
    for (const hours of [span, ...trailing]) {
      const from = firstPointAtOrAfter(series, series.t[n - 1] - hours - 1e-9);
      if (n - from < MIN_POINTS) continue;
      const f = from === 0 ? full : cachedFit(series, from);
      // Traffic makes the floor rise for an hour or two at rates a whole window never sustains:
      // a shorter span must clear a proportionally higher bar, √(window/span) × the threshold.
      const bar = threshold * Math.sqrt(Math.max(1, windowHours / hours));
      if (!(f.lower > bar && f.confidence >= MIN_CONFIDENCE)) continue;
      const maxJump = (metric === 'sys' || metric === 'goroutines' ? MAX_JUMP_SHARE_STEPPY : MAX_JUMP_SHARE) * f.slope * hours;
      if (largestJump(series, from) > maxJump) continue;
      if (metric === 'goroutines' && topQuarterRise(series, from) > MAX_TOP_QUARTER_SHARE * f.slope * hours) continue;
      const lower = f.lower - (explained?.(series.t[from]) ?? 0);
      if (!(lower > bar)) continue;
      if (lower * hours < NOISE_MULTIPLE * (noise ??= cachedNoise(series, windowHours * MIN_SPAN))) continue;
      const recent = recentFit(series, from);
      const grows = recent.slope > threshold && recent.slope >= 0.5 * f.slope;
      if (grows) return { metric, trend: toTrend(f), leaking: true, stopped: false };
    }
  }
  return { metric, trend: toTrend(full), leaking: false, stopped };
}

/**
 * The floor's own noise, from residuals around local trend lines over window/6 (1 h): unlike the residuals
 * of one line over the window, a leak that began mid-window or a daily swing does not count as noise.
 */
function localNoise(series: FloorSeries, chunkHours: number): number {
  const residuals: number[] = [];
  for (let from = 0; from < series.t.length; ) {
    let to = from;
    while (to < series.t.length && series.t[to] < series.t[from] + chunkHours) to++;
    if (to - from >= 4) {
      const f = cachedFit(series, from, to);
      const r = series.v.slice(from, to).map((v, i) => v - f.slope * series.t[from + i]);
      const mid = medianOf(r);
      for (const x of r) residuals.push(Math.abs(x - mid));
    }
    from = to;
  }
  return residuals.length ? 1.4826 * medianOf(residuals) : 0;
}

/** localNoise of the last few series seen, by their exact points: an open leak asks every scrape. */
const noiseCache: { t: number[]; v: number[]; chunkHours: number; noise: number }[] = [];

function cachedNoise(series: FloorSeries, chunkHours: number): number {
  const n = series.t.length;
  for (const e of noiseCache) {
    if (e.chunkHours === chunkHours && sameRange(e.t, series.t, 0, n) && sameRange(e.v, series.v, 0, n)) return e.noise;
  }
  const noise = localNoise(series, chunkHours);
  if (noiseCache.length >= 8) noiseCache.shift();
  noiseCache.push({ t: [...series.t], v: [...series.v], chunkHours, noise });
  return noise;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Largest rise between consecutive points of series[from..]. */
function largestJump(series: FloorSeries, from: number): number {
  let max = 0;
  for (let i = from + 1; i < series.v.length; i++) max = Math.max(max, series.v[i] - series.v[i - 1]);
  return max;
}

/** Sum of the largest quarter (at least 2) of the rises between consecutive points of series[from..]. */
function topQuarterRise(series: FloorSeries, from: number): number {
  const rises: number[] = [];
  for (let i = from + 1; i < series.v.length; i++) rises.push(Math.max(0, series.v[i] - series.v[i - 1]));
  rises.sort((a, b) => b - a);
  return rises.slice(0, Math.max(2, Math.ceil(rises.length / 4))).reduce((a, b) => a + b, 0);
}

function firstPointAtOrAfter(series: FloorSeries, t: number): number {
  let i = 0;
  while (i < series.t.length && series.t[i] < t) i++;
  return i;
}

/** Fit of the last third of series[from..], at least MIN_RECENT_POINTS points. */
function recentFit(series: FloorSeries, from: number): TrendFit {
  const n = series.t.length;
  const recentFrom = series.t[n - 1] - (series.t[n - 1] - series.t[from]) * RECENT_FRACTION;
  let k = n - MIN_RECENT_POINTS;
  while (k > from && series.t[k - 1] >= recentFrom) k--;
  return cachedFit(series, k);
}

/**
 * A heap leak also raises Sys and RSS; one incident is enough. RSS or Sys growth the heap does
 * not account for is reported on its own, with a note saying a heap profile cannot explain it.
 */
function explainByHeap(assessments: MetricAssessment[], heapIncidentOpen: boolean, heapJudgeable: boolean): void {
  const heap = assessments.find((a) => a.metric === 'heap');
  if (!heap) return;
  for (const a of assessments) {
    if ((a.metric !== 'rss' && a.metric !== 'sys') || !a.leaking) continue;
    const what = a.metric === 'rss' ? 'RSS' : 'Sys';
    // No recent GC: the heap floor is stale, so it cannot show the heap flat while a heap incident is open.
    if (!heapJudgeable && heapIncidentOpen) {
      a.explained = true;
      continue;
    }
    // Compare relative rates: RSS and Sys follow the GC goal, (1+GOGC/100) times the live heap.
    const rel = (x: MetricAssessment): number => x.trend.slopePerHour / Math.max(1, x.trend.current);
    // With the heap known to leak, its growth explains even a faster-looking RSS or Sys step.
    if (rel(heap) >= (heap.leaking || heapIncidentOpen ? 0.25 : 0.5) * rel(a)) a.explained = true;
    else if (heap.leaking) a.note = `${what} grows faster than the Go heap: most of the growth is outside the Go heap; see \`leakwatch explain\``;
    else a.note = `${what} grows while the Go heap is flat: the memory is outside the Go heap (goroutine stacks, runtime metadata, retained pages, cgo or mmap); a heap profile cannot explain it, see \`leakwatch explain\``;
  }
}

/**
 * Fits are pure functions of their points, and between two scrapes the completed buckets do not
 * change, so the daemon and replay would refit identical points ~20 times per bucket. A small
 * cache keyed by the exact points (verified on hit) makes replay of a day cost one fit per bucket.
 */
const FIT_CACHE_SIZE = 512;
const fitCache = new Map<string, { t: number[]; v: number[]; fit: TrendFit }[]>();

/** The fit of points [from, to) of a series, cached by their exact values. */
function cachedFit(series: FloorSeries, from = 0, to = series.t.length): TrendFit {
  const { t, v } = series;
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h = Math.imul(h ^ (v[i] | 0), 16777619);
    h = Math.imul(h ^ ((v[i] / 4294967296) | 0), 16777619);
    h = Math.imul(h ^ ((t[i] * HOUR) | 0), 16777619);
  }
  const key = `${to - from}:${h}`;
  const hits = fitCache.get(key);
  if (hits) {
    for (const e of hits) if (sameRange(e.t, t, from, to) && sameRange(e.v, v, from, to)) return e.fit;
  }
  const entry = { t: t.slice(from, to), v: v.slice(from, to), fit: undefined as unknown as TrendFit };
  entry.fit = fitTrend(entry.t, entry.v);
  if (fitCache.size >= FIT_CACHE_SIZE) fitCache.clear();
  if (hits) hits.push(entry);
  else fitCache.set(key, [entry]);
  return entry.fit;
}

function sameRange(a: number[], b: number[], from: number, to: number): boolean {
  if (a.length !== to - from) return false;
  for (let i = from; i < to; i++) if (a[i - from] !== b[i]) return false;
  return true;
}
