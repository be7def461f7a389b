/**
 * A cycle shorter than the trend window, taken out of a floor series. Pure.
 *
 * Why: traffic with a period of an hour or two swings the heap floor by more than a leak moves it
 * in a whole window. Every span the judge tries then sees the swings: its slope's bound is wide,
 * the series' noise is the cycle's size, and a rise of the cycle looks like a jump. Yet the cycle
 * repeats three to six times in a window, so its shape can be learnt and subtracted: what is left
 * is the trend plus noise, and judged as any floor is (a seasonal decomposition, STL-like, with
 * one period and a line for the trend).
 *
 * How: the period is the first peak of the autocorrelation of the series around its own line,
 * between `minHours` and `maxHours`, that is a clear one (≥ MIN_ACF) after the autocorrelation has
 * gone clearly negative (half a period out of phase: a warm-up's bend or a random wander decays
 * without coming back). The cycle's profile is the mean, per phase (bucket index mod period), of
 * the series around its line; it is subtracted per phase, so it applies to any series of the same
 * buckets (the day behind the window too).
 */
import type { Series } from './history.js';
import { detrend } from './trend.js';

/** Autocorrelation a period's peak needs. */
const MIN_ACF = 0.5;
/** Autocorrelation the series must reach between lag 0 and the peak. */
const MAX_TROUGH = -0.2;
/** Points the series needs before a period is looked for. */
const MIN_POINTS = 24;

export interface Cycle {
  /** Period in buckets. */
  period: number;
  /** Mean deviation from the trend line at each phase (bucket index mod period), summing to zero. */
  profile: Float64Array;
}

function phase(b: number, period: number): number {
  return ((b % period) + period) % period;
}

/**
 * The cycle of `x` with a period between `minHours` and `maxHours`, or undefined when it has none.
 * `bucketHours` is the spacing of `x.b`.
 */
export function findCycle(x: Series, bucketHours: number, minHours: number, maxHours: number): Cycle | undefined {
  const n = x.t.length;
  if (n < MIN_POINTS) return undefined;
  const r = detrend(x.t, x.v);
  let c0 = 0;
  for (const y of r) c0 += y * y;
  if (!(c0 > 0)) return undefined;
  // Pairs by bucket index, not position: a missing bucket does not shift the lags after it.
  const b0 = x.b[0];
  const dense = new Float64Array(x.b[n - 1] - b0 + 1).fill(NaN);
  for (let i = 0; i < n; i++) dense[x.b[i] - b0] = r[i];
  const acf = (lag: number): number => {
    const [c, pairs] = lagProducts(dense, lag, n === dense.length);
    return pairs > 0 ? (c / pairs) / (c0 / n) : 0;
  };
  const lo = Math.max(2, Math.round(minHours / bucketHours));
  const hi = Math.min(Math.floor(n / 2), Math.round(maxHours / bucketHours) + 1);
  let trough = 1;
  let prev = acf(0);
  let cur = acf(1);
  for (let lag = 1; lag <= hi; lag++) {
    const next = acf(lag + 1);
    trough = Math.min(trough, cur);
    if (lag >= lo && trough <= MAX_TROUGH && cur >= MIN_ACF && cur >= prev && cur >= next) return { period: lag, profile: profileOf(x, r, lag) };
    prev = cur;
    cur = next;
  }
  return undefined;
}

/** Sum of dense[i]·dense[i+lag] over the pairs where both are seen (not NaN), and their count. */
function lagProducts(dense: Float64Array, lag: number, complete: boolean): [number, number] {
  let c = 0;
  if (complete) {
    // No bucket missing: every pair counts (the usual case, without a test per pair).
    for (let i = 0; i + lag < dense.length; i++) c += dense[i] * dense[i + lag];
    return [c, Math.max(0, dense.length - lag)];
  }
  let pairs = 0;
  for (let i = 0; i + lag < dense.length; i++) {
    const p = dense[i] * dense[i + lag];
    if (Number.isNaN(p)) continue;
    c += p;
    pairs++;
  }
  return [c, pairs];
}

function profileOf(x: Series, r: readonly number[], period: number): Float64Array {
  const sum = new Float64Array(period);
  const count = new Float64Array(period);
  for (let i = 0; i < r.length; i++) {
    const p = phase(x.b[i], period);
    sum[p] += r[i];
    count[p]++;
  }
  const profile = sum.map((s, p) => (count[p] > 0 ? s / count[p] : 0));
  const mean = profile.reduce((a, v) => a + v, 0) / period;
  return profile.map((v) => v - mean);
}

/** `x` with the cycle's profile subtracted at each point's phase. */
export function withoutCycle(x: Series, cycle: Cycle): Series {
  return { ...x, v: x.v.map((v, i) => v - cycle.profile[phase(x.b[i], cycle.period)]) };
}
