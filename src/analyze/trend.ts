/**
 * Trend statistics: Theil–Sen slope with Sen's rank confidence interval, and the Mann–Kendall
 * test with the Hamed–Rao correction for autocorrelation. Pure functions over (t, v) points.
 *
 * Why these: both are rank based, so a GC cycle caught at the wrong moment, a batch spike or a
 * scrape of a stressed process moves the answer by one rank, not by its size. Monitoring series
 * are autocorrelated (traffic wanders for minutes), which makes the textbook variance far too
 * small; Hamed–Rao inflates it by the measured autocorrelation of the detrended ranks, so slow
 * wander, steps and curves widen the interval instead of looking significant.
 */

export interface TrendFit {
  /** Theil–Sen slope, value units per time unit of the input. */
  slope: number;
  /** One-sided conservative bounds of the slope at `level` (Sen's interval). */
  lower: number;
  upper: number;
  /** Φ(z) of the corrected Mann–Kendall statistic: 0.5 = no evidence, → 1 = increasing. */
  confidence: number;
  /** Mann–Kendall S and its corrected variance (for tables and tests). */
  s: number;
  varS: number;
  n: number;
}

/** z for a one-sided 95% bound. */
export const Z_ONE_SIDED_95 = 1.6448536269514722;

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** The pairwise slopes, reused from call to call (a 6 h window's fit has ~10,000): read them before the next pass. */
let slopeScratch = new Float64Array(4096);

/**
 * All pairwise slopes (v[j]-v[i])/(t[j]-t[i]) for i<j with distinct times, unordered, in the
 * shared scratch; and Mann–Kendall's S, which sums the signs of the same differences.
 */
function pairPass(t: ArrayLike<number>, v: ArrayLike<number>): { slopes: Float64Array; s: number } {
  const n = t.length;
  if (slopeScratch.length < (n * (n - 1)) / 2) slopeScratch = new Float64Array(n * (n - 1));
  const out = slopeScratch;
  let s = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = v[j] - v[i];
      s += Math.sign(d);
      const dt = t[j] - t[i];
      if (dt !== 0) out[k++] = d / dt;
    }
  }
  return { slopes: out.subarray(0, k), s };
}

/** k-th smallest (0-based) of a[lo..hi], partially reordering a (Hoare quickselect). */
function select(a: Float64Array, k: number, lo = 0, hi = a.length - 1): number {
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const x = a[i];
        a[i] = a[j];
        a[j] = x;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Median of the slopes (reorders them). */
function median(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return 0;
  const m = n >> 1;
  const hi = select(a, m);
  if (n % 2) return hi;
  // After selecting m, everything below index m is <= a[m]: the lower middle is their maximum.
  let lo = -Infinity;
  for (let i = 0; i < m; i++) if (a[i] > lo) lo = a[i];
  return (lo + hi) / 2;
}

/** Scratch for medianOf: the detector takes medians of a few dozen points many times a judgement. */
let scratch = new Float64Array(256);

/** Median of xs[from..to) (NaN when empty), xs untouched: a quickselect on a reused buffer, no sort, no allocation. */
export function medianOf(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  const n = to - from;
  if (n <= 0) return NaN;
  if (scratch.length < n) scratch = new Float64Array(2 * n);
  const a = scratch.subarray(0, n);
  for (let i = 0; i < n; i++) {
    const x = xs[from + i];
    // A typed sort puts NaN last, which quickselect cannot: the rare NaN takes the sort.
    if (x !== x) return sortedMedian(Float64Array.from({ length: n }, (_, k) => xs[from + k]).sort());
    a[i] = x;
  }
  return median(a);
}

function sortedMedian(s: Float64Array): number {
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Theil–Sen slope alone: the median of the pairwise slopes. */
export function theilSen(t: ArrayLike<number>, v: ArrayLike<number>): number {
  return median(pairPass(t, v).slopes);
}

/**
 * The Theil–Sen slope, and a ceiling on fitTrend(t, v, z).lower from the same pass over the pairs:
 * Sen's bound with Mann–Kendall's own variance, which the Hamed–Rao factor (never below 1) only
 * widens, so the fit's bound lies at or below it. For callers that read the bound only where it may
 * be high: most of a fit's cost is the autocorrelation pass this leaves out.
 */
export function theilSenCeiling(t: ArrayLike<number>, v: ArrayLike<number>, z = Z_ONE_SIDED_95): { slope: number; lowerAtMost: number } {
  const { slopes } = pairPass(t, v);
  const slope = median(slopes);
  return { slope, lowerAtMost: t.length < 3 ? -Infinity : senLower(slopes, varianceS(v), z) };
}

/**
 * Sen (1968): the lower bound is the M1-th smallest pairwise slope (1-based), M1 = (N − C)/2 with
 * C = z·√Var(S), rounded down so the bound stays conservative. `slopes` as median() left them,
 * partitioned around index N>>1: the bound is searched on its side only.
 */
function senLower(slopes: Float64Array, varS: number, z: number): number {
  const nPairs = slopes.length;
  const m1 = Math.floor((nPairs - z * Math.sqrt(varS)) / 2);
  const mid = nPairs >> 1;
  return m1 < 1 ? -Infinity : select(slopes, m1 - 1, 0, m1 - 1 <= mid ? mid : nPairs - 1);
}

/** Mann–Kendall S and the tie-corrected variance (no autocorrelation correction). */
export function mannKendall(v: ArrayLike<number>): { s: number; varS: number } {
  return { s: pairPass(Array.from({ length: v.length }, (_, i) => i), v).s, varS: varianceS(v) };
}

/** Var(S) of Mann–Kendall's statistic over v, ties corrected. */
function varianceS(v: ArrayLike<number>): number {
  const n = v.length;
  const sorted = Float64Array.from(v).sort();
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && sorted[j] === sorted[i]) j++;
    const g = j - i;
    if (g > 1) tieTerm += g * (g - 1) * (2 * g + 5);
    i = j;
  }
  return (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
}

/** Average ranks (1-based), ties share their mean rank. */
function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const sorted = Float64Array.from(x).sort();
  // NaN sorts last and equals nothing: the index sort keeps its order for them.
  if (n && sorted[n - 1] !== sorted[n - 1]) return indexRanks(x);
  // A value's rank is the mean of the positions its copies take in the sorted values (no comparator calls).
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    let end = lo + 1;
    while (end < n && sorted[end] === v) end++;
    r[i] = (lo + end + 1) / 2;
  }
  return r;
}

function indexRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && x[idx[j]] === x[idx[i]]) j++;
    for (let k = i; k < j; k++) r[idx[k]] = (i + j + 1) / 2;
    i = j;
  }
  return r;
}

/**
 * Hamed & Rao (1998) variance inflation n/n*: from the significant autocorrelations of the ranks
 * of the detrended series. Never below 1: negative autocorrelation is not allowed to make a
 * trend look more certain.
 */
export function hamedRaoFactor(t: ArrayLike<number>, v: ArrayLike<number>, slope: number): number {
  const n = v.length;
  if (n < 4) return 1;
  const detrended = new Float64Array(n);
  for (let i = 0; i < n; i++) detrended[i] = v[i] - slope * t[i];
  const r = ranks(detrended);
  const mean = (n + 1) / 2;
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += (r[i] - mean) ** 2;
  if (c0 === 0) return 1;
  const bound = 1.96 / Math.sqrt(n);
  let sum = 0;
  for (let k = 1; k < n - 2; k++) {
    let ck = 0;
    for (let i = 0; i + k < n; i++) ck += (r[i] - mean) * (r[i + k] - mean);
    const rho = ck / c0;
    if (Math.abs(rho) > bound) sum += (n - k) * (n - k - 1) * (n - k - 2) * rho;
  }
  return Math.max(1, 1 + (2 * sum) / (n * (n - 1) * (n - 2)));
}

/**
 * Theil–Sen slope, Sen's one-sided bounds at z, and the corrected Mann–Kendall confidence.
 * The same corrected variance widens both, so the bound and the test agree.
 */
export function fitTrend(t: ArrayLike<number>, v: ArrayLike<number>, z = Z_ONE_SIDED_95): TrendFit {
  const n = t.length;
  if (n < 3) return { slope: 0, lower: -Infinity, upper: Infinity, confidence: 0.5, s: 0, varS: 0, n };
  const { slopes, s } = pairPass(t, v);
  const slope = median(slopes);
  const varS = varianceS(v) * hamedRaoFactor(t, v, slope);
  const nPairs = slopes.length;
  const lower = senLower(slopes, varS, z);
  // The upper bound, Sen's (M2+1)-th smallest slope, M2 = (N+C)/2 rounded up, on the other side of N>>1.
  const m2 = Math.ceil((nPairs + z * Math.sqrt(varS)) / 2);
  const mid = nPairs >> 1;
  const upper = m2 >= nPairs ? Infinity : select(slopes, m2, m2 >= mid ? mid : 0, nPairs - 1);
  const zs = varS > 0 ? (s - Math.sign(s)) / Math.sqrt(varS) : 0;
  return { slope, lower, upper, confidence: normalCdf(zs), s, varS, n };
}

/** Robust scale (1.4826·MAD) of (t, v) around its Theil–Sen line: the series' noise. */
export function lineNoise(t: ArrayLike<number>, v: ArrayLike<number>): number {
  return residualScale(t, v, theilSen(t, v));
}

function residualScale(t: ArrayLike<number>, v: ArrayLike<number>, slope: number): number {
  const n = t.length;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = v[i] - slope * t[i];
  const mid = median(r.slice());
  for (let i = 0; i < n; i++) r[i] = Math.abs(r[i] - mid);
  return 1.4826 * median(r);
}

/** Hours until `limit` at `slopePerHour` from `current`. */
export function timeToLimit(current: number, slopePerHour: number, limit: number | undefined): number | null {
  if (limit === undefined) return null;
  if (current >= limit) return 0;
  if (!(slopePerHour > 0)) return null;
  return (limit - current) / slopePerHour;
}

/** OLS residuals of (t, v) around their own line. */
export function detrend(t: readonly number[], v: readonly number[]): number[] {
  const { slope, mt, mv } = olsLine(t, v);
  return v.map((x, i) => x - mv - slope * (t[i] - mt));
}

/** Least-squares slope of (t, v) (0 when all t are equal): O(n), where a Theil–Sen slope is O(n²). */
export function olsSlope(t: readonly number[], v: readonly number[]): number {
  return olsLine(t, v).slope;
}

function olsLine(t: readonly number[], v: readonly number[]): { slope: number; mt: number; mv: number } {
  const n = t.length;
  const mt = t.reduce((a, b) => a + b, 0) / n;
  const mv = v.reduce((a, b) => a + b, 0) / n;
  let stt = 0;
  let stv = 0;
  for (let i = 0; i < n; i++) {
    stt += (t[i] - mt) ** 2;
    stv += (t[i] - mt) * (v[i] - mv);
  }
  return { slope: stt > 0 ? stv / stt : 0, mt, mv };
}
