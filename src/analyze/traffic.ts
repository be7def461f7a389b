/**
 * Growth that traffic explains. Pure.
 *
 * Why: part of the live heap is in-flight data — requests being served, their buffers and
 * goroutines — so the heap floor (and the RSS and goroutines that come with it) follows traffic.
 * A daily traffic swing raises it for hours, and traffic wander adds minutes-long rises on top:
 * together they reach rates a leak has. A leak needs no more traffic to grow. Go's own allocation
 * rate (TotalAlloc per second) follows traffic, so a span only counts as leaking when its
 * conservative slope clears the bar after subtracting the slope the allocation rate explains.
 * Subtracting from a test that must already pass can only remove alerts, never add one: a badly
 * estimated coefficient costs latency, not false alerts.
 *
 * How much of the metric one byte/s of allocation stands for is learnt from fast co-movements only: both
 * series are detrended by a local line per chunk (window/6) and the residuals regressed on each
 * other. A leak, a daily cycle or any other slow trend is removed by the local lines before the
 * regression, so a leak that coincides with rising traffic cannot teach the coefficient to
 * explain itself away. The coefficient is used only when it is positive and clearly significant;
 * otherwise the floor is judged as it is.
 *
 * Where traffic swings the floor more than anything else (a traffic cycle of any period), the
 * floor is also judged with traffic's share taken out (`withoutTraffic`): a leak under a falling
 * cycle shows there, where subtracting alone could never show it. That can add an alert, so it
 * asks more: a coefficient known to ±20 % (|t| ≥ 5), moved one standard error against a leak
 * (more taken out while traffic rises, less while it falls), and taking out half or more of the
 * floor's spread around its trend over the span. Traffic wander alone on a warm-up takes out
 * little: there the floor is judged as it is. Whether a lifetime is warming up is still read on
 * its floor as it is too (judge.ts).
 *
 * The same floor without traffic's share, at the coefficient as fitted, also holds an open
 * incident: where traffic swings the floor, growth has stopped only if it stopped there too (a
 * cycle's falling half is no stop for a leak under it). That can keep a false alert open for
 * longer, never open one.
 */
import { firstAtOrAfter } from './assess.js';
import type { Series } from './history.js';
import type { FloorSeries, RateSeries } from './series.js';
import { detrend, lineNoise, olsSlope, theilSen } from './trend.js';

/** |t| the traffic coefficient needs before it adjusts anything. */
const MIN_T = 3;
/** |t| it needs before the floor is judged with traffic taken out, and the standard errors it is moved by. */
const MIN_T_REMOVE = 5;
const REMOVE_MARGIN = 1;
/** Share of the floor's spread around its trend over a span that may remain once traffic is taken out. */
const MAX_SPREAD_LEFT = 0.5;
/** Points a chunk needs to contribute its residuals. */
const MIN_CHUNK_POINTS = 4;
/** Residual pairs the regression needs overall. */
const MIN_PAIRS = 16;
/** Below this share of signal in the proxy, its correction is itself mostly noise: no adjustment. */
const MIN_RELIABILITY = 0.2;

export interface TrafficFit {
  /** Metric units (bytes, goroutines) per byte/s of allocation rate. */
  coef: number;
  /** Its standard error. */
  se: number;
  pairs: number;
  /** Share of the detrended rate variance that is traffic, not measurement noise. */
  reliability: number;
}

/** Allocation rate (and its variance) at each heap point, or undefined where the bucket has none. */
function alignedRate(heap: FloorSeries, rate: RateSeries): ({ v: number; variance: number } | undefined)[] {
  // Both ascending in time, the rates at a subset of the floor's points (as minusTraffic walks them).
  let j = 0;
  return heap.t.map((t) => {
    while (j < rate.t.length && rate.t[j] < t) j++;
    return rate.t[j] === t ? { v: rate.v[j], variance: rate.variance[j] } : undefined;
  });
}

/** The heap-per-allocation-rate coefficient from detrended co-movements within chunks of `chunkHours`. */
export function trafficFit(heap: FloorSeries, rate: RateSeries, chunkHours: number): TrafficFit | undefined {
  const r = alignedRate(heap, rate);
  const xs: number[] = [];
  const ys: number[] = [];
  let chunks = 0;
  // Expected sum of squares the proxy's own noise puts into the detrended rates.
  let noiseSS = 0;
  for (let from = 0; from < heap.t.length; ) {
    let to = from;
    while (to < heap.t.length && heap.t[to] < heap.t[from] + chunkHours) to++;
    const t: number[] = [];
    const x: number[] = [];
    const y: number[] = [];
    let chunkNoise = 0;
    for (let i = from; i < to; i++) {
      const ri = r[i];
      if (ri === undefined) continue;
      t.push(heap.t[i]);
      x.push(ri.v);
      y.push(heap.v[i]);
      chunkNoise += ri.variance;
    }
    if (t.length >= MIN_CHUNK_POINTS) {
      xs.push(...detrend(t, x));
      ys.push(...detrend(t, y));
      // A fitted line takes 2 of the chunk's degrees of freedom, and that share of its noise.
      noiseSS += chunkNoise * (1 - 2 / t.length);
      chunks++;
    }
    from = to;
  }
  const n = xs.length;
  if (n < MIN_PAIRS) return undefined;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += xs[i] * xs[i];
    sxy += xs[i] * ys[i];
  }
  if (!(sxx > 0)) return undefined;
  // Errors in the regressor bias an OLS slope towards 0 by the reliability (sxx − noise)/sxx; the
  // scatter of per-scrape rates inside each bucket measures that noise (Fuller 1987, §1.2).
  // Unknown noise (too few scrapes per bucket) leaves the plain, conservative, slope.
  const reliability = Number.isFinite(noiseSS) ? 1 - noiseSS / sxx : 1;
  if (reliability < MIN_RELIABILITY) return undefined;
  const coef = sxy / (sxx * reliability);
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - coef * reliability * xs[i]) ** 2;
  const dof = n - 2 * chunks - 1;
  if (dof < 4) return undefined;
  return { coef, se: Math.sqrt(sse / dof / sxx) / reliability, pairs: n, reliability };
}

/**
 * The heap growth per hour traffic explains from time `t` to the end: the coefficient times the
 * allocation rate's Theil–Sen slope there, never negative (falling traffic is no evidence of a
 * leak). 0 when traffic explains nothing significant.
 */
export function trafficExplainer(heap: FloorSeries, rates: () => RateSeries, chunkHours: number): (t: number) => number {
  // Lazy, the rates too: the detector asks only about spans that already look like a leak.
  let fit: TrafficFit | undefined | null = null;
  let rate: RateSeries | undefined;
  return (t) => {
    rate ??= rates();
    if (fit === null) fit = significantFit(heap, rate, chunkHours, MIN_T);
    if (fit === undefined) return 0;
    const slope = rateSlopeFrom(rate, t);
    return slope === undefined ? 0 : Math.max(0, fit.coef * slope);
  };
}

/**
 * The floor `heap` with traffic's share taken out, for judging the span from time `t` on: each
 * point less the coefficient times the allocation rate there (points without a rate dropped).
 * Undefined unless the coefficient is clearly known. `margin`: the standard errors the coefficient
 * is moved by against a leak (0 asks whether growth stopped: judge.ts). `coef` is the coefficient used, for taking
 * traffic out of other stretches of the same floor alike (minusTraffic). Judge the span on it
 * only where traffic swings the floor (`takesOutSpread`): the checks are cheaper the other way round.
 */
export function withoutTraffic(heap: Series, rate: RateSeries, chunkHours: number, t: number, margin = REMOVE_MARGIN): { x: Series; coef: number } | undefined {
  const fit = significantFit(heap, rate, chunkHours, MIN_T_REMOVE);
  const rising = fit && risingFrom(rate, t);
  if (!fit || rising === undefined) return undefined;
  const coef = Math.max(0, fit.coef + (rising ? margin : -margin) * fit.se);
  return { x: minusTraffic(heap, rate, coef), coef };
}

/** Taking traffic out (`without`) leaves at most MAX_SPREAD_LEFT of the floor's spread around its trend from time t on. */
export function takesOutSpread(heap: FloorSeries, without: FloorSeries, t: number): boolean {
  return spreadFrom(without, t) <= MAX_SPREAD_LEFT * spreadFrom(heap, t);
}

/**
 * `heap` less `coef` times the allocation rate at each point; points without a rate are dropped.
 * The rate there is the mean of its bucket's and the neighbours': a bucket's rate is measured
 * over a few scrapes, and its noise times the coefficient would be noise the floor does not have.
 */
export function minusTraffic(heap: Series, rate: RateSeries, coef: number): Series {
  const out: Series = { origin: heap.origin, t: [], v: [], u: [], b: [] };
  const last = rate.v.length - 1;
  // Both ascending in time, the rates at a subset of the floor's points.
  for (let i = 0, j = 0; i < heap.t.length && j <= last; i++) {
    while (j <= last && rate.t[j] < heap.t[i]) j++;
    if (rate.t[j] !== heap.t[i]) continue;
    const from = Math.max(0, j - 1);
    const to = Math.min(last, j + 1);
    let sum = 0;
    for (let k = from; k <= to; k++) sum += rate.v[k];
    out.t.push(heap.t[i]);
    out.v.push(heap.v[i] - (coef * sum) / (to - from + 1));
    out.u.push(heap.u[i]);
    out.b.push(heap.b[i]);
  }
  return out;
}

/** Spread of x's points from time t on around their Theil–Sen line (trend.ts, lineNoise). */
function spreadFrom(x: FloorSeries, t: number): number {
  const i = firstAtOrAfter(x.t, t);
  return x.t.length - i < 3 ? NaN : lineNoise(x.t.slice(i), x.v.slice(i));
}

/** Whether the allocation rate's least-squares line rises from time t on (only its direction matters); undefined over fewer than 3 points. */
function risingFrom(rate: RateSeries, t: number): boolean | undefined {
  const i = firstAtOrAfter(rate.t, t);
  return rate.t.length - i < 3 ? undefined : olsSlope(rate.t.slice(i), rate.v.slice(i)) > 0;
}

/** The fit when its coefficient is positive and at least minT standard errors (memoized per input). */
function significantFit(heap: FloorSeries, rate: RateSeries, chunkHours: number, minT: number): TrafficFit | undefined {
  const f = memo.get(heap, rate, chunkHours, () => trafficFit(heap, rate, chunkHours) ?? null) ?? undefined;
  return f && f.coef > 0 && f.coef >= minT * f.se ? f : undefined;
}

/** The allocation rate's Theil–Sen slope from time t to the end; undefined over fewer than 3 points. */
function rateSlopeFrom(rate: RateSeries, t: number): number | undefined {
  const i = firstAtOrAfter(rate.t, t);
  if (rate.t.length - i < 3) return undefined;
  return memo.get({ t: [], v: [] }, rate, -i, () => theilSen(rate.t.slice(i), rate.v.slice(i)));
}

/**
 * While a leak is open, every scrape asks again about the same completed buckets: answers are
 * kept for the exact inputs (compared in full on a hit), as the detector's fit cache does.
 */
class ExactMemo {
  private readonly entries: { heap: FloorSeries; rate: FloorSeries; key: number; value: unknown }[] = [];
  get<T>(heap: FloorSeries, rate: FloorSeries, key: number, compute: () => T): T {
    for (const e of this.entries) {
      if (e.key === key && same(e.heap, heap) && same(e.rate, rate)) return e.value as T;
    }
    const value = compute();
    if (this.entries.length >= 16) this.entries.shift();
    this.entries.push({ heap: { t: [...heap.t], v: [...heap.v] }, rate: { t: [...rate.t], v: [...rate.v] }, key, value });
    return value;
  }
}

const memo = new ExactMemo();

function same(a: FloorSeries, b: FloorSeries): boolean {
  if (a.t.length !== b.t.length) return false;
  for (let i = 0; i < a.t.length; i++) if (a.t[i] !== b.t[i] || a.v[i] !== b.v[i]) return false;
  return true;
}
