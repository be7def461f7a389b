/**
 * One metric judged at one moment from the service's history (design §4): the trend window over
 * spans of the whole, 1/2, 1/4 and 1/8 of it, then the long windows (a day, a week) for slow
 * leaks. Pure; detector.ts adds persistence and hysteresis on top.
 */
import { formatBytes } from '../format/units.js';
import type { Metric } from '../model/incident.js';
import { firstAtOrAfter, fitRange, LazyTrend, levelsOff, localNoise, MIN_POINTS, rateOf, recentFit, spanGrows, thresholdPerHour, toTrend, medianOf, type Points } from './assess.js';
import { firstLifetimeGuard, settledStart, steadyPace } from './guard.js';
import { allocRates, dayOverDay, earlierLifetimeReached, gcPressure, goroutinesAt, heapSysRise, newHigh, trafficCouldExplain, trafficRise, heapCarries, usualWarmup } from './evidence.js';
import { DAY, type Series } from './history.js';
import { goalAtMinimum, lifetimeFloor, ownJumpsOf, type FloorContext } from './window-floor.js';
import { goroutinesCarry, poolShare, type PoolShare } from './pool.js';
import { findCycle, withoutCycle } from './season.js';
import { minusTraffic, takesOutSpread, trafficExplainer, withoutTraffic } from './traffic.js';
import type { RateSeries } from './series.js';
import type { TrendFit } from './trend.js';
import type { Trend } from '../model/trend.js';

const HOUR = 3_600_000;
const SPAN_FRACTIONS = [2 / 3, 1 / 3, 1 / 6];
const MIN_SPAN = 1 / 6;

export interface Judgement {
  metric: Metric;
  trend: Trend;
  /** This evaluation alone says: leak. */
  leaking: boolean;
  /** This evaluation alone says: growth has stopped. */
  stopped: boolean;
  /** Rise of the floor over the window (last − first point). */
  rise?: number;
  /** Sys only: how much of that rise is the heap's address space (evidence.ts, heapSysRise). */
  heapSysRise?: number;
  note?: string;
}

export interface JudgeContext extends FloorContext {
  /** Enough GC cycles late in the window to tell the heap floor stopped. */
  heapJudgeable: boolean;
  /** Metrics with an open incident: only they need to know whether growth stopped. */
  open: ReadonlySet<Metric>;
  trendFits: Map<Metric, ShownTrend>;
}

/** The shown trend of a quiet metric: the points it is fitted on, taken every TREND_EVERY buckets, and their fit once read (it only informs). */
export interface ShownTrend {
  at: number;
  points?: Points;
  fit?: TrendFit;
}

const TREND_EVERY = 4;

/** Points the shown trend of a quiet metric is fitted on (every k-th bucket): the O(n²) fit is the detector's main cost. */
const TREND_POINTS = 48;

/** Every k-th point of x, at most TREND_POINTS, the latest kept: the trend is "as of now". */
function thinned(x: Points): Points {
  const n = x.t.length;
  const k = Math.max(1, Math.ceil(n / TREND_POINTS));
  if (k === 1) return { t: x.t, v: x.v };
  const t: number[] = [];
  const v: number[] = [];
  for (let i = (n - 1) % k; i < n; i += k) {
    t.push(x.t[i]);
    v.push(x.v[i]);
  }
  return { t, v };
}

/**
 * The shown trend's fit, made on the first call, its points dropped then. A function of its own:
 * a closure made inside judgeWindow would keep all of that judgement's state alive with the trend.
 */
function fitOnRead(shown: ShownTrend): () => TrendFit {
  return () => {
    if (!shown.fit) {
      const p = shown.points!;
      shown.fit = fitRange(p, 0, p.t.length);
      shown.points = undefined;
    }
    return shown.fit;
  };
}

export function judgeWindow(ctx: JudgeContext, metric: Metric): Judgement | undefined {
  const { service, history: h } = ctx;
  const x = lifetimeFloor(ctx, metric, service.window);
  const n = x.t.length;
  if (n < 3) return undefined;
  const current = x.v[n - 1];
  const limit = service.limits[metric];
  const cached = ctx.trendFits.get(metric);
  const shown = cached && ctx.history.version - cached.at < TREND_EVERY ? cached : { at: ctx.history.version, points: thinned(x) };
  if (shown !== cached) ctx.trendFits.set(metric, shown);
  const full = fitOnRead(shown);
  const rate = rateOf(service, metric);
  const spanH = x.t[n - 1] - x.t[0];
  const winH = service.window / HOUR;
  const quiet: Judgement = { metric, trend: new LazyTrend(full, current, limit), leaking: false, stopped: false, rise: current - x.v[0] };
  const heapSys = metric === 'sys' ? heapSysRise(h, x) : undefined;
  if (heapSys !== undefined) quiet.heapSysRise = heapSys;
  if (!rate || n < MIN_POINTS || spanH < winH * MIN_SPAN - 1e-9) return quiet;
  const threshold = thresholdPerHour(rate, current);
  const lifeAge = ctx.now - ctx.life.start;
  // The same hours yesterday (a day-old lifetime only), built when a check reads it.
  let seasonalMemo: ReturnType<typeof dayOverDay> | null = null;
  const seasonal = (): ReturnType<typeof dayOverDay> =>
    seasonalMemo === null ? (seasonalMemo = lifeAge >= DAY + service.window ? dayOverDay(h, metric, x, ctx.life.index) : undefined) : seasonalMemo;
  let floorNoise: number | undefined;
  const floorNoiseOf = (): number => (floorNoise ??= localNoise(x, winH / 6));

  // The allocation rates, read when a check needs them (the heap's traffic checks; a growing span of another metric).
  let rates: RateSeries | undefined;
  const ratesOf = (): RateSeries => (rates ??= allocRates(h, x));

  let stopped = ctx.open.has(metric) && (metric !== 'heap' || ctx.heapJudgeable) && recentFit(x, 0).upper < threshold;
  const d = stopped ? seasonal() : undefined;
  if (d && d.v.length >= 4) {
    // Still above the same hour yesterday by a day's worth of growth: the leak goes on under the cycle.
    stopped = medianOf(d.v.slice(-Math.ceil(d.v.length / 6))) / 24 < threshold;
  } else if (stopped && metric === 'heap') {
    // Before a day of history, a fall traffic explains is no stop where traffic swings the floor:
    // the floor without traffic's share (at the coefficient as fitted, no margin either way) must
    // have stopped growing too (a leak under a cycle's falling half).
    const without = withoutTraffic(x, ratesOf(), winH / 6, x.t[0], 0);
    if (without && !(recentFit(without.x, 0).upper < threshold) && takesOutSpread(x, without.x, x.t[0])) stopped = false;
  }
  const judged = { ...quiet, stopped };

  const pressure = metric === 'heap' ? gcPressure(h, x, current) : undefined;
  const gcLimit = pressure ? Math.min(pressure.limit, limit ?? Infinity) : limit;
  const note = pressure
    ? `the GC runs ${pressure.late.toFixed(1)} times a minute, up from ${pressure.early.toFixed(1)}: the heap is pressing against GOMEMLIMIT (${formatBytes(pressure.limit)}); a leak under a memory limit shows as GC work before it shows as growth`
    : undefined;
  if (stopped && !pressure) return judged;
  // While the GC goal sits at the runtime's minimum heap, the whole heap, garbage included, is a
  // few MiB and its floor is the sawtooth's phase at each scrape: a leak lifts the goal off it first.
  if (metric === 'heap' && goalAtMinimum(h, ctx.life.index)) return judged;
  // A young process with no earlier lifetime to compare with: growth since the warm-up may be a
  // slower warm-up still. It gets time to show whether it levels off: 3 warm-ups, at least 3/4 of a window.
  // Unless it started flat: a warm-up is steepest at birth, so growth that begins after a settled
  // stretch, and outpaces it, is no warm-up of this process, whatever its length.
  const guard = firstLifetimeGuard(service);
  const guarded = lifeAge - service.warmup < guard && !ctx.open.has(metric) && !earlierLifetimeReached(h, ctx.life.index, lifeAge);
  // Nor is growth that keeps its pace: over the latest two sixths of a window the second grows as fast
  // as the first, where an exponential or hyperbolic fill of τ up to hours slows down (a log does less).
  // Only where the shape is the metric's own: the heap (under a memory limit too, where its floor
  // is HeapAlloc's lower envelope, the live heap plus a wander a warm-up bends like any) and the
  // goroutines; not Sys or RSS (they follow the heap's warm-up with a lag: a flat start says nothing).
  const shaped = metric === 'goroutines' || metric === 'heap';
  const sixthBar = threshold * Math.sqrt(1 / MIN_SPAN);
  const settled = guarded && shaped ? settledStart(x, sixthBar, winH * MIN_SPAN, service.warmup / HOUR) : undefined;
  const spanFrom = guarded && shaped ? settled?.from ?? steadyPace(x, sixthBar, winH * MIN_SPAN) : undefined;
  if (guarded && spanFrom === undefined) {
    // GC work rising is no verdict yet either: a warm-up filling toward the limit raises it too.
    return judged;
  }

  const explained = trafficExplainer(x, ratesOf, winH / 6);
  let windowRise: number | undefined;
  const windowRiseOf = (): number => (windowRise ??= trafficRise(ratesOf()));
  const ownJumps = ownJumpsOf(ctx, metric);
  let day: Series | undefined;
  const dayOf = (): Series => (day ??= lifetimeFloor(ctx, metric, DAY));
  let heapFloor: Series | undefined;
  const heapFloorOf = (): Series => (heapFloor ??= lifetimeFloor(ctx, 'heap', service.window));
  // The goroutines' share of a floor (pool.ts), learnt once per floor judged: the floor as it is, without its cycle or its traffic.
  const poolShares = new Map<Series, PoolShare>();
  const poolShareOf = (xs: Series): PoolShare => {
    let share = poolShares.get(xs);
    if (!share) poolShares.set(xs, (share = poolShare(xs, goroutinesAt(h, xs), winH / 6)));
    return share;
  };
  let dayRates: RateSeries | undefined;
  const dayRatesOf = (): RateSeries => (dayRates ??= allocRates(h, dayOf()));
  // A lifetime older than the window: warm-up checks also read its floor since the start (not
  // HeapAlloc's under a memory limit, which bends like a warm-up as a spiral nears the limit).
  const lifelong = ownJumps && lifeAge > service.window;
  let slowing: boolean | undefined;
  // The checks a growing span must also pass: `xs` is the floor (or the floor without its cycle, or
  // without traffic). Where traffic was taken out, whether the lifetime is warming up is read on
  // both, `xs` and `own` (the floor as it is): a warm-up by either reading is a warm-up.
  const confirmed = (xs: Series, from: number, bar: number, noise: number, daySeries: () => Series, slows: () => boolean, own?: { x: Series; noise: number }): boolean => {
    const spanStart = xs.t[from];
    if (spanFrom !== undefined && spanStart < spanFrom - 1e-9) return false;
    if (!newHigh(daySeries(), xs, spanStart, noise)) return false;
    if (slows()) return false;
    // The floor as it is (own) is not read over the lifetime: where traffic swings it, a day of its cycle bends as a warm-up does.
    const readings: { x: Series; noise: number; day?: () => Series }[] = [{ x: xs, noise, day: daySeries }, ...(own ? [own] : [])];
    // Earlier lifetimes at this uptime, read when a check needs them (a walk of the buckets and fits per lifetime).
    let earlierMemo: ReturnType<typeof usualWarmup>[] | undefined;
    const earlier = (): ReturnType<typeof usualWarmup>[] =>
      ctx.life.index > 0 ? (earlierMemo ??= readings.map((r) => usualWarmup(h, metric, ctx.life.index, r.x, spanStart, bar, threshold, r.noise, service.warmup))) : [];
    // A curve fitted to this lifetime alone is a guess where an earlier lifetime was seen to level
    // off past this uptime: its warm-up is the reference then.
    const settledSeen = (): boolean => earlier().length > 0 && earlier().every((e) => e.settledSeen);
    if (readings.some((r) => levelsOff(r.x, spanStart, bar, lifelong ? r.day?.() : undefined)) && !settledSeen()) return false;
    // With a day of this lifetime behind, like with like: the same span must also grow against the
    // same hours yesterday, or it is the daily cycle (or yesterday's wander) coming round again.
    // Without, growth rising traffic could explain waits for that comparison (evidence.ts), and
    // RSS or Sys growth the heap floor carries over the span is the heap's to judge.
    const dd = seasonal();
    if (dd ? !dayOverDayGrows(dd, spanStart, threshold) : metric === 'heap' && trafficCouldExplain(xs, from, ratesOf(), winH / 3, windowRiseOf)) return false;
    if (!dd && (metric === 'rss' || metric === 'sys') && heapCarries(heapFloorOf(), xs, spanStart)) return false;
    // Heap a resizing worker pool carries is the pool's, bounded by its size (pool.ts).
    if (metric === 'heap' && goroutinesCarry(poolShareOf(xs), spanStart, bar)) return false;
    return !earlier().some((e) => e.usual);
  };
  const leaking = (f: TrendFit): Judgement => ({ ...quiet, trend: toTrend(f, current, gcLimit), leaking: true, ...(note ? { note } : {}) });
  const spans = [spanH, ...SPAN_FRACTIONS.map((f) => f * winH).filter((s) => s < spanH && s >= winH * MIN_SPAN - 1e-9)];
  const barOf = (hours: number): number => Math.max(threshold * Math.sqrt(Math.max(1, winH / hours)), settled?.pace ?? 0);
  for (const hours of spans) {
    const from = firstAtOrAfter(x.t, x.t[n - 1] - hours - 1e-9);
    const bar = barOf(hours);
    const f = spanGrows({ metric, x, from, hours, bar, threshold, noise: floorNoiseOf, explained, ownJumps });
    if (f && confirmed(x, from, bar, floorNoiseOf(), dayOf, () => (slowing ??= slowsDown(x)))) return leaking(f);
  }
  // A cycle shorter than a third of the window (traffic with a period of an hour or two) swings the
  // heap floor more than a leak moves it in a window, so no span above saw the trend. With the
  // cycle's shape taken out (season.ts) the whole window is judged again, and growth under a cycle
  // must also keep its pace: the window's second half grows as fast as its first.
  const cycle = metric === 'heap' ? findCycle(x, h.width / HOUR, winH / 12, winH / 3) : undefined;
  if (cycle) {
    const xs = withoutCycle(x, cycle);
    const bar = threshold * Math.sqrt(Math.max(1, winH / spanH));
    let noise: number | undefined;
    const noiseOf = (): number => (noise ??= localNoise(xs, winH / 6));
    const f = spanGrows({ metric, x: xs, from: 0, hours: spanH, bar, threshold, noise: noiseOf, ownJumps });
    let dayWithoutCycle: Series | undefined;
    const dayOfCycle = (): Series => (dayWithoutCycle ??= withoutCycle(dayOf(), cycle));
    if (f && steadyPace(xs, bar, spanH / 2) !== undefined && confirmed(xs, 0, bar, noiseOf(), dayOfCycle, () => slowsDown(xs))) return leaking(f);
  }
  // Traffic that swings the floor (a cycle of any period, its wander) hides a leak while it falls.
  // Where the allocation rate accounts for most of the floor's spread over a span, the span is
  // judged again with traffic's share taken out (traffic.ts), by the same checks.
  for (const hours of metric === 'heap' ? spans : []) {
    const start = x.t[n - 1] - hours - 1e-9;
    const adjusted = withoutTraffic(x, ratesOf(), winH / 6, start);
    if (!adjusted) continue;
    const xa = adjusted.x;
    const from = firstAtOrAfter(xa.t, start);
    const bar = barOf(hours);
    let noise: number | undefined;
    const noiseOf = (): number => (noise ??= localNoise(xa, winH / 6));
    let dayWithoutMemo: Series | undefined;
    const dayWithout = (): Series => (dayWithoutMemo ??= minusTraffic(dayOf(), dayRatesOf(), adjusted.coef));
    const f = spanGrows({ metric, x: xa, from, hours, bar, threshold, noise: noiseOf, ownJumps });
    if (f && takesOutSpread(x, xa, start) && confirmed(xa, from, bar, noiseOf(), dayWithout, () => slowsDown(xa), { x, noise: floorNoiseOf() })) return leaking(f);
  }
  if (pressure && note) return { metric, trend: new LazyTrend(full, current, gcLimit), leaking: true, stopped: false, note };
  return judged;
}

/**
 * Over the whole window (the lifetime, when younger), the latest third grows at less than half the
 * pace of the whole: a curve levelling off, whatever a shorter span says. Significantly so: a
 * staircase's latest third may sit on a landing, but its bound stays open.
 */
function slowsDown(x: Points): boolean {
  const whole = fitRange(x, 0, x.t.length);
  const recent = recentFit(x, 0);
  return whole.slope > 0 && recent.slope < 0.5 * whole.slope && recent.upper < whole.slope;
}

/** Long windows over hourly buckets: a leak of a few MB a day that a 6 h window cannot see. */
export function judgeLong(ctx: JudgeContext, metric: Metric, windows: readonly number[]): Judgement | undefined {
  const { service } = ctx;
  const rate = rateOf(service, metric);
  if (!rate) return undefined;
  const winH = service.window / HOUR;
  for (const w of windows) {
    if (w <= service.window) continue;
    const x = lifetimeFloor(ctx, metric, w, true);
    const n = x.t.length;
    const wH = w / HOUR;
    if (n < 12 || x.t[n - 1] - x.t[0] < 0.75 * wH) continue;
    const current = x.v[n - 1];
    const threshold = thresholdPerHour(rate, current);
    const bar = threshold * Math.sqrt(winH / wH);
    const hours = x.t[n - 1] - x.t[0];
    let noise: number | undefined;
    const noiseOf = (): number => (noise ??= localNoise(x, wH / 6));
    const f = spanGrows({ metric, x, from: 0, hours, bar, threshold: bar, noise: noiseOf, ownJumps: ownJumpsOf(ctx, metric) });
    if (!f) continue;
    if (!newHigh(x, x, x.t[n - 1] - wH / 4, noiseOf())) continue;
    if (levelsOff(x, x.t[0], bar)) continue;
    return { metric, trend: toTrend(f, current, service.limits[metric]), leaking: true, stopped: false };
  }
  return undefined;
}

/** The day-over-day difference rises over the span: its Theil–Sen slope clears half the threshold, its rank test 95 %. */
function dayOverDayGrows(d: { t: number[]; v: number[] }, spanStart: number, threshold: number): boolean {
  const from = firstAtOrAfter(d.t, spanStart);
  if (d.t.length - from < MIN_POINTS) return false;
  const f = fitRange(d, from, d.t.length);
  return f.slope > 0.5 * threshold && f.confidence >= 0.95;
}
