/**
 * One metric, one evaluation: does its floor grow like a leak? Pure. The detector (detector.ts)
 * builds the series from the service's history and calls `assessSpan`-style checks here.
 *
 * A span leaks when all of these hold (each one rules out a look-alike):
 *  - its conservative (Sen lower-bound) slope clears the threshold, scaled up by √(window/span)
 *    for spans shorter than the window (traffic wanders for an hour at rates a window never
 *    sustains) and it is ≥ 99 % significant (Mann–Kendall, autocorrelation-corrected);
 *  - its conservative rise is ≥ 5× the floor's own noise (an idle server's jitter is not growth);
 *  - goroutine counts are judged with their steps taken out (a pool resizes in a few large steps,
 *    up and down; a leak climbs through them);
 *  - no single jump carries most of the rise (steps, Sys ratcheting, pools that resize), and where
 *    one carries a large share, the span without it still clears the bar (a step and some wander
 *    is not a leak; a staircase leak has other steps);
 *  - its last third still grows above the threshold at ≥ half the span's rate;
 *  - what co-moving traffic explains does not account for it (traffic.ts);
 *  - it is not a curve that levels off (saturation.ts);
 *  - the level is new: no earlier point of the lifetime in the past day was as high (a cycle
 *    returning to where it was is not growth) — or, with a day of history in this lifetime, the
 *    same hour yesterday is the reference (like with like, so a daily cycle cancels);
 *  - earlier lifetimes that grew the same way at this uptime did not level off below it, nor does
 *    the current one follow their curve, larger or slower this time (evidence.ts, usualWarmup).
 */
import type { Rate, ServiceConfig } from '../config/schema.js';
import type { Metric } from '../model/incident.js';
import { notClearlyAbove, saturationFit, type SaturationFit } from './saturation.js';
import { fitTrend, medianOf, timeToLimit, type TrendFit } from './trend.js';

export { medianOf };
import type { Trend } from '../model/trend.js';

export type ThresholdKey = 'heapGrowth' | 'sysGrowth' | 'rssGrowth' | 'goroutineGrowth';
export const THRESHOLD: Record<Metric, ThresholdKey> = { heap: 'heapGrowth', sys: 'sysGrowth', rss: 'rssGrowth', goroutines: 'goroutineGrowth' };

/** Threshold in the metric's unit per hour at level `current`. */
export function thresholdPerHour(rate: Rate, current: number): number {
  return rate.unit === 'percent' ? (rate.value / 100) * current : rate.value;
}

export const MIN_POINTS = 6;
const MIN_CONFIDENCE = 0.99;
const NOISE_MULTIPLE = 5;
const MAX_JUMP_SHARE = 0.6;
const MAX_JUMP_SHARE_STEPPY = 0.35;
/** Share of the rise a single jump may carry before the span is judged again without it. */
const STEP_SHARE = 0.45;
/**
 * Points a span needs for that second judgement (2 h at the default window): over fewer, the
 * largest jump is the floor's wander as often as a step, and the single-jump cap alone applies.
 */
const STEP_POINTS = 48;
/** A change between consecutive goroutine counts this many robust spreads from the usual change is a step. */
const STEP_SPREADS = 5;
const RECENT_FRACTION = 1 / 3;
const MIN_RECENT_POINTS = 4;

/** Points of one series, `t` in hours. */
export interface Points {
  t: number[];
  v: number[];
}

export interface SpanInput {
  metric: Metric;
  /** The tested series (the floor, or its difference to the same hour yesterday). */
  x: Points;
  /** First index of the span in x. */
  from: number;
  /** Hours the span covers and the bar its conservative slope must clear. */
  hours: number;
  bar: number;
  threshold: number;
  noise: () => number;
  /** Growth per hour traffic explains from time t to the end (0 when none). */
  explained?: (t: number) => number;
  /**
   * Whether the floor's jumps are the metric's own (default): under a memory limit the heap floor
   * is HeapAlloc's least per bucket, whose jumps are as much the scrapes' phase in the GC cycle.
   */
  ownJumps?: boolean;
}

/** The span's fit when it passes the rank, noise, jump, recency and traffic checks; undefined otherwise. */
export function spanGrows(s: SpanInput): TrendFit | undefined {
  const { from, hours, bar, threshold, metric } = s;
  const n = s.x.t.length;
  if (n - from < MIN_POINTS) return undefined;
  // A pool that resizes moves goroutines in a few large steps, up and down; a leak climbs
  // through them. The count is judged as it would be without them.
  const x = metric === 'goroutines' ? withoutSteps(s.x, from) : s.x;
  // Cheap first: a robust rise estimate (median of the last third − median of the first third).
  if (roughSlopeBelow(x, from, 0.5 * bar)) return undefined;
  const f = fitRange(x, from, n);
  if (!(f.lower > bar && f.confidence >= MIN_CONFIDENCE)) return undefined;
  const steppy = metric === 'sys' || metric === 'goroutines';
  const jump = largestJump(x, from);
  if (jump.size > (steppy ? MAX_JUMP_SHARE_STEPPY : MAX_JUMP_SHARE) * f.slope * hours) return undefined;
  const explained = s.explained?.(x.t[from]) ?? 0;
  const lower = f.lower - explained;
  if (!(lower > bar)) return undefined;
  if (lower * hours < NOISE_MULTIPLE * s.noise()) return undefined;
  const recent = recentFit(x, from);
  if (!(recent.slope > threshold && recent.slope >= 0.5 * f.slope)) return undefined;
  if (s.ownJumps !== false && n - from >= STEP_POINTS && jump.size > STEP_SHARE * f.slope * hours) {
    const g = fitRange(withoutJump(x, jump), from, n);
    if (!(g.lower - explained > bar && g.confidence >= MIN_CONFIDENCE)) return undefined;
  }
  return f;
}

/**
 * The saturating model on the lifetime's floor explains the span's growth as a curve that levels
 * off. A warm-up slower than the window has left its steep start behind the window, where the
 * floor is nearly straight: when that floor bends the way a warm-up does at all (concave, however
 * weakly), the lifetime's longer floor (`lifetime`, up to a day) is asked too. Not where it bends
 * upward: the growth now is no warm-up's tail, and over a long floor a curve that took the early
 * fill leaves the present growth "not clearly" above the bar only because the fit is poor.
 */
export function levelsOff(floor: Points & { u: number[] }, spanStartT: number, bar: number, lifetime?: Points & { u: number[] }): boolean {
  const fit = saturationFit(floor.u, floor.v, uptimeAt(floor, spanStartT));
  if (fit === undefined) return false;
  if (bends(fit, bar)) return true;
  if (!lifetime || !fit.concave) return false;
  const whole = saturationFit(lifetime.u, lifetime.v, uptimeAt(lifetime, spanStartT));
  return whole !== undefined && bends(whole, bar);
}

/** Decelerating, and what grows beyond the curve is not clearly above the bar. */
function bends(fit: SaturationFit, bar: number): boolean {
  return fit.decelerating && (notClearlyAbove(fit, bar) || fit.curveAlone());
}

function uptimeAt(floor: Points & { u: number[] }, t: number): number {
  for (let i = 0; i < floor.t.length; i++) if (floor.t[i] >= t) return floor.u[i];
  return floor.u[floor.u.length - 1];
}

/** Fit of the last third of x[from..], at least MIN_RECENT_POINTS points. */
export function recentFit(x: Points, from: number): TrendFit {
  const n = x.t.length;
  const recentFrom = x.t[n - 1] - (x.t[n - 1] - x.t[from]) * RECENT_FRACTION;
  let k = Math.max(from, n - MIN_RECENT_POINTS);
  while (k > from && x.t[k - 1] >= recentFrom) k--;
  return fitRange(x, k, n);
}

export function fitRange(x: Points, from: number, to: number): TrendFit {
  return fitTrend(x.t.slice(from, to), x.v.slice(from, to));
}

/**
 * Whether x[from..]'s rough slope is under `limit`: (median of the last third − median of the
 * first third) / time between their middles. Each median lies within its third's least and most,
 * so where the last third's most less the first third's least is under the limit over that time,
 * the medians are not taken (rounding is monotonic, so in floating point too; a NaN leaves it to
 * them): one pass instead of two selections, and it settles ~9 spans in 10 of a steady week.
 */
function roughSlopeBelow(x: Points, from: number, limit: number): boolean {
  const n = x.t.length;
  const k = Math.max(1, Math.floor((n - from) / 3));
  // Times are ascending: their medians are the middle ones.
  const dt = (x.t[n - k + ((k - 1) >> 1)] + x.t[n - 1 - ((k - 1) >> 1)]) / 2 - (x.t[from + ((k - 1) >> 1)] + x.t[from + k - 1 - ((k - 1) >> 1)]) / 2;
  if (!(dt > 0)) return 0 < limit;
  let most = -Infinity;
  for (let i = n - k; i < n; i++) most = Math.max(most, x.v[i]);
  if ((most - leastOf(x.v, from, from + k)) / dt < limit) return true;
  return (medianOf(x.v, n - k) - medianOf(x.v, from, from + k)) / dt < limit;
}

const JUMP_SIDE = 3;

/**
 * Largest step in x[from..]: the rise of the lower envelope, from the least of the JUMP_SIDE
 * points before a point to the least of the JUMP_SIDE points from it on. A floor's noise is
 * upward (a bucket that missed the end of a GC cycle), so a one-bucket spike is not a step while a
 * level shift is. Between consecutive points where the span is too short for that.
 */
function largestJump(x: Points, from: number): { size: number; at: number } {
  const n = x.v.length;
  const k = n - from >= 4 * JUMP_SIDE ? JUMP_SIDE : 1;
  let jump = { size: 0, at: -1 };
  for (let i = from + k; i + k <= n; i++) {
    const size = leastOf(x.v, i, i + k) - leastOf(x.v, i - k, i);
    if (size > jump.size) jump = { size, at: i };
  }
  return jump;
}

/** x with the points from the jump on lowered by its size: the floor as if the step had not happened. */
function withoutJump(x: Points, jump: { size: number; at: number }): Points {
  return jump.at < 0 ? x : { t: x.t, v: x.v.map((v, i) => (i >= jump.at ? v - jump.size : v)) };
}

/** Least of v[from..to). */
export function leastOf(v: readonly number[], from: number, to: number): number {
  let m = Infinity;
  for (let i = from; i < to; i++) m = Math.min(m, v[i]);
  return m;
}

/**
 * x with the steps in x[from..] taken out: a change between consecutive points further from
 * their median change than STEP_SPREADS robust spreads counts as that median. Where counts move
 * by small changes (a leak, traffic), nothing is taken out.
 */
function withoutSteps(x: Points, from: number): Points {
  const n = x.v.length;
  if (n - from < 3) return x;
  const d: number[] = [];
  for (let i = from + 1; i < n; i++) d.push(x.v[i] - x.v[i - 1]);
  const mid = medianOf(d);
  const spread = 1.4826 * medianOf(d.map((c) => Math.abs(c - mid)));
  const v = x.v.slice();
  let level = x.v[from];
  for (let i = from + 1; i < n; i++) {
    const c = d[i - from - 1];
    level += Math.abs(c - mid) > STEP_SPREADS * spread ? mid : c;
    v[i] = level;
  }
  return { t: x.t, v };
}

/**
 * The floor's own noise, from residuals around local trend lines over chunks of `chunkHours`:
 * unlike the residuals of one line over the window, a leak that began mid-window or a daily swing
 * does not count as noise.
 */
export function localNoise(x: Points, chunkHours: number): number {
  const residuals: number[] = [];
  for (let from = 0; from < x.t.length; ) {
    let to = from;
    while (to < x.t.length && x.t[to] < x.t[from] + chunkHours) to++;
    if (to - from >= 4) {
      const f = fitRange(x, from, to);
      const r = x.v.slice(from, to).map((v, i) => v - f.slope * x.t[from + i]);
      const mid = medianOf(r);
      for (const y of r) residuals.push(Math.abs(y - mid));
    }
    from = to;
  }
  return residuals.length ? 1.4826 * medianOf(residuals) : 0;
}

export function toTrend(f: TrendFit, current: number, limit: number | undefined): Trend {
  const trend: Trend = {
    slopePerHour: f.slope, lowerPerHour: f.lower, upperPerHour: f.upper, confidence: f.confidence,
    current, n: f.n, timeToLimitHours: timeToLimit(current, f.slope, limit),
  };
  if (limit !== undefined) trend.limit = limit;
  return trend;
}

/**
 * toTrend of a fit made when the trend is first read: a quiet metric's shown trend, an O(n²) fit
 * that status and alerts read and a replay mostly never does. Read field by field, or as JSON, it
 * is the Trend it becomes. Not as a plain object: a spread or Object.keys sees its own fields,
 * structuredClone refuses it (it holds a function), and `'limit' in` is always true. Every reader
 * in src/ reads fields by name (setTrend, status, watch-plan, health) or JSON (the API).
 */
export class LazyTrend implements Trend {
  private made: Trend | undefined;

  constructor(private readonly fit: () => TrendFit, readonly current: number, private readonly limitAt: number | undefined) {}

  private get trend(): Trend {
    return (this.made ??= toTrend(this.fit(), this.current, this.limitAt));
  }

  get slopePerHour(): number { return this.trend.slopePerHour; }
  get lowerPerHour(): number { return this.trend.lowerPerHour; }
  get upperPerHour(): number { return this.trend.upperPerHour; }
  get confidence(): number { return this.trend.confidence; }
  get n(): number { return this.trend.n; }
  get timeToLimitHours(): number | null { return this.trend.timeToLimitHours; }
  get limit(): number | undefined { return this.limitAt; }

  toJSON(): Trend {
    return this.trend;
  }
}

export function rateOf(service: ServiceConfig, metric: Metric): Rate | undefined {
  return service.thresholds[THRESHOLD[metric]];
}

/** Index of the first of the ascending times `t` at or after `x` (t.length when none). */
export function firstAtOrAfter(t: readonly number[], x: number): number {
  let i = 0;
  while (i < t.length && t[i] < x) i++;
  return i;
}
