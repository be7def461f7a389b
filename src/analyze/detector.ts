/**
 * The leak detector: one pure function the daemon calls after every scrape and `leakwatch replay`
 * calls at every trace sample. Design §4 in code:
 *
 *  1. only the current process lifetime, minus its warm-up, minus what is older than `window`;
 *  2. per-bucket floors (series.ts), never raw HeapAlloc;
 *  3. Theil–Sen + autocorrelation-corrected Mann–Kendall over the whole span (trend.ts);
 *  4. leaking = conservative (lower) bound above the threshold, ≥99% confidence, AND the most
 *     recent third of the span still grows above the threshold and at no less than half the
 *     span's rate — a step, a drained burst or a filled cache is flat or falling there;
 *  5. growth stopped = the recent third's upper bound is below the threshold.
 */
import type { ServiceConfig, Rate } from '../config/schema.js';
import type { Incident, Metric } from '../model/incident.js';
import { METRICS } from '../model/incident.js';
import type { Sample } from '../model/sample.js';
import { incidentEvents, type IncidentEvent, type MetricAssessment } from './lifecycle.js';
import { bucketWidth, floorSeries, lifetimeBegan, lifetimeStartIndex, type FloorSeries } from './series.js';
import { fitTrend, timeToLimit, type Trend, type TrendFit } from './trend.js';

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
const MIN_SPAN_HOURS = 0.5;
const MIN_CONFIDENCE = 0.99;
/** The recent part of the span that must still grow: its last third, at least 4 buckets. */
const RECENT_FRACTION = 1 / 3;
const MIN_RECENT_POINTS = 4;

const THRESHOLD: Record<Metric, 'heapGrowth' | 'sysGrowth' | 'rssGrowth' | 'goroutineGrowth'> = {
  heap: 'heapGrowth',
  sys: 'sysGrowth',
  rss: 'rssGrowth',
  goroutines: 'goroutineGrowth',
};

const LIMIT: Record<Metric, 'heap' | 'sys' | 'rss' | 'goroutines'> = { heap: 'heap', sys: 'sys', rss: 'rss', goroutines: 'goroutines' };

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

  const assessments: MetricAssessment[] = [];
  for (const metric of METRICS) {
    const a = assess(metric, floors[metric], service);
    if (a) assessments.push(a);
  }
  explainByHeap(assessments);

  const events = incidentEvents(assessments, input.open, { now, lifetimeBegan: began, cooldown: service.cooldown });
  const trends: Partial<Record<Metric, Trend>> = {};
  for (const a of assessments) trends[a.metric] = a.trend;
  const opened = events.some((e) => e.type === 'open');
  const resolved = new Set(events.flatMap((e) => (e.type === 'resolve' ? [e.incidentId] : [])));
  const stillOpen = input.open.some((i) => i.resolvedAt === null && !resolved.has(i.id));
  const state = opened || stillOpen ? 'leaking' : now < warmupEnd ? 'warming' : 'ok';
  return { state, trends, events };
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

function assess(metric: Metric, series: FloorSeries, service: ServiceConfig): MetricAssessment | undefined {
  const n = series.t.length;
  if (n < 3) return undefined;
  const full = cachedFit(series.t, series.v);
  const current = series.v[n - 1];
  const limit = service.limits[LIMIT[metric]];
  const trend: Trend = {
    slopePerHour: full.slope,
    lowerPerHour: full.lower,
    upperPerHour: full.upper,
    confidence: full.confidence,
    current,
    n,
    timeToLimitHours: timeToLimit(current, full.slope, limit),
  };
  if (limit !== undefined) trend.limit = limit;
  const rate = service.thresholds[THRESHOLD[metric]];
  const span = series.t[n - 1] - series.t[0];
  if (!rate || n < MIN_POINTS || span < MIN_SPAN_HOURS) return { metric, trend, leaking: false, stopped: false };
  const threshold = thresholdPerHour(rate, current);
  const recentFrom = series.t[n - 1] - span * RECENT_FRACTION;
  let k = n - MIN_RECENT_POINTS;
  while (k > 0 && series.t[k - 1] >= recentFrom) k--;
  const recent = cachedFit(series.t.slice(k), series.v.slice(k));
  const leaking =
    full.lower > threshold &&
    full.confidence >= MIN_CONFIDENCE &&
    recent.slope > threshold &&
    recent.slope >= 0.5 * full.slope;
  return { metric, trend, leaking, stopped: recent.upper < threshold };
}

/**
 * A heap leak also raises Sys and RSS; one incident is enough. RSS or Sys growth the heap does
 * not account for is reported on its own, with a note saying a heap profile cannot explain it.
 */
function explainByHeap(assessments: MetricAssessment[]): void {
  const heap = assessments.find((a) => a.metric === 'heap');
  for (const a of assessments) {
    if ((a.metric !== 'rss' && a.metric !== 'sys') || !a.leaking) continue;
    const what = a.metric === 'rss' ? 'RSS' : 'Sys';
    if (heap?.leaking && heap.trend.slopePerHour >= 0.5 * a.trend.slopePerHour) {
      a.explained = true;
    } else if (heap && !heap.leaking) {
      a.note = `${what} grows while the Go heap is flat: the memory is outside the Go heap (goroutine stacks, runtime metadata, retained pages, cgo or mmap); a heap profile cannot explain it, see \`leakwatch explain\``;
    } else if (heap) {
      a.note = `${what} grows faster than the Go heap: most of the growth is outside the Go heap; see \`leakwatch explain\``;
    }
  }
}

/**
 * Fits are pure functions of their points, and between two scrapes the completed buckets do not
 * change, so the daemon and replay would refit identical points ~20 times per bucket. A small
 * cache keyed by the exact points (verified on hit) makes replay of a day cost one fit per bucket.
 */
const FIT_CACHE_SIZE = 512;
const fitCache = new Map<string, { t: number[]; v: number[]; fit: TrendFit }[]>();

function cachedFit(t: number[], v: number[]): TrendFit {
  let h = 0x811c9dc5;
  for (let i = 0; i < v.length; i++) {
    h = Math.imul(h ^ (v[i] | 0), 16777619);
    h = Math.imul(h ^ ((v[i] / 4294967296) | 0), 16777619);
    h = Math.imul(h ^ ((t[i] * HOUR) | 0), 16777619);
  }
  const key = `${t.length}:${h}`;
  const hits = fitCache.get(key);
  if (hits) {
    for (const e of hits) if (sameArrays(e.t, t) && sameArrays(e.v, v)) return e.fit;
  }
  const fit = fitTrend(t, v);
  if (fitCache.size >= FIT_CACHE_SIZE) fitCache.clear();
  const entry = { t: t.slice(), v: v.slice(), fit };
  if (hits) hits.push(entry);
  else fitCache.set(key, [entry]);
  return fit;
}

function sameArrays(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
