/**
 * Is the growth a curve that levels off? A warm-up or a cache fill approaches its size
 * exponentially (or slower); a leak grows without bound. Instead of one more threshold, two
 * models are compared on the lifetime's floor, in uptime u (hours):
 *
 *   unbounded:   a + r·(u − u0)₊
 *   saturating:  a + c·e^{−(u − u₁)/τ} + r·(u − u0)₊      (c < 0: rising and decelerating)
 *
 * u₁ is the first point, u0 the start of the span under test (growth before it is free to be
 * a warm-up), τ is searched on a grid from 1/16 to 2× the data's span. A long τ makes the curve
 * nearly straight, so it only wins the F test where the data really bends. It must also beat a
 * straight line through all the points (a + b·(u − u₁)): a leak older than the span is one, and
 * against the hinged line its growth before u0 would pass for a curve's steep start. When the
 * saturating model fits significantly better, the leak rate is its r — what is left once the
 * levelling-off curve is accounted for.
 * Pure least squares on bucket floors (already robust minima); the F statistic is deflated by the
 * residuals' lag-1 autocorrelation, as monitoring series are autocorrelated.
 */

export interface SaturationFit {
  /** The saturating model fits significantly better and its curve is concave (decelerating). */
  decelerating: boolean;
  /** Its curve is concave, significantly or not: the points bend the way a warm-up does. */
  concave: boolean;
  /** Decelerating, and the saturating curve alone, bent within the data, fits as well: nothing grows beyond it. */
  curveAlone(): boolean;
  /** Linear growth per hour within the span once the curve is accounted for. */
  rate: number;
  /** Its standard error (autocorrelation-inflated). */
  rateSe: number;
  tau: number;
  /** Level the curve approaches (a + r·(u−u0) at the last point without the decaying term). */
  f: number;
}

/** A linear rate fitted beside a curve (growth beyond it) is not clearly above `bar`: its one-sided 95 % lower bound is below it. */
export function notClearlyAbove(fit: { rate: number; rateSe: number }, bar: number): boolean {
  return lowerBound(fit) < bar;
}

function lowerBound(fit: { rate: number; rateSe: number }): number {
  return fit.rate - 1.645 * fit.rateSe;
}

/** F beyond which the saturating model wins (one extra parameter, a grid-searched τ: conservative). */
const F_CRIT = 12;
/** F beyond which a linear term adds to the curve alone (one parameter, a grid-searched τ: conservative). */
const F_LINEAR = 10;
/**
 * Time constants the curve alone is tried with, as fractions of the data's span: 1/16 to 2/3, each
 * 1.2× the last. On a floor with little noise a time constant a third off the warm-up's own leaves
 * a misfit the linear term takes up, and the F test then reads a curve as a curve and a line.
 */
const PLAIN_TAU_FRACTIONS = Array.from({ length: 14 }, (_, k) => Math.min(2 / 3, (1 / 16) * 1.2 ** k));
const TAU_FRACTIONS = [1 / 16, 1 / 10, 1 / 6, 1 / 4, 1 / 3, 1 / 2, 1, 2];

/** Least squares y ~ X (columns), by the normal equations; k ≤ 3. */
function ols(cols: Float64Array[], y: ArrayLike<number>): { beta: number[]; sse: number; inv: number[][] } | undefined {
  const k = cols.length;
  const n = y.length;
  const a: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const rhs = new Array<number>(k).fill(0);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += cols[i][r] * cols[j][r];
      a[i][j] = s;
      a[j][i] = s;
    }
    let s = 0;
    for (let r = 0; r < n; r++) s += cols[i][r] * y[r];
    rhs[i] = s;
  }
  const inv = invert(a);
  if (!inv) return undefined;
  const beta = inv.map((row) => row.reduce((s, x, j) => s + x * rhs[j], 0));
  let sse = 0;
  for (let r = 0; r < n; r++) {
    let f = 0;
    for (let i = 0; i < k; i++) f += beta[i] * cols[i][r];
    sse += (y[r] - f) ** 2;
  }
  return { beta, sse, inv };
}

/** Gauss–Jordan inverse of a small symmetric matrix; undefined when singular. */
function invert(m: number[][]): number[][] | undefined {
  const k = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: k }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (Math.abs(a[p][c]) < 1e-12 * Math.max(1, Math.abs(a[c][c]))) return undefined;
    [a[c], a[p]] = [a[p], a[c]];
    const d = a[c][c];
    for (let j = 0; j < 2 * k; j++) a[c][j] /= d;
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r][c];
      if (f !== 0) for (let j = 0; j < 2 * k; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((row) => row.slice(k));
}

function lag1(res: Float64Array): number {
  let c0 = 0;
  let c1 = 0;
  for (let i = 0; i < res.length; i++) c0 += res[i] * res[i];
  for (let i = 1; i < res.length; i++) c1 += res[i] * res[i - 1];
  return c0 > 0 ? Math.max(0, Math.min(0.95, c1 / c0)) : 0;
}

/**
 * Three shapes of warm-up in uptime x with time constant τ, and the sign of a rising one's
 * coefficient: exponential, hyperbolic (x/(x+τ)) and logarithmic (log(1+x/τ)), the last two
 * slower to settle than any exponential.
 */
type WarmupShape = readonly [(x: number, u1: number, tau: number) => number, number];
export const WARMUP_SHAPES: readonly WarmupShape[] = [
  [(x, u1, tau) => Math.exp(-(x - u1) / tau), -1],
  [(x, _u1, tau) => x / (x + tau), 1],
  [(x, _u1, tau) => Math.log1p(x / tau), 1],
];
const EXPONENTIAL = WARMUP_SHAPES.slice(0, 1);

/**
 * Compares the two models on points (u, v); `u0` is where the span under test starts. The decaying
 * term is exponential unless `shapes` lists others (hyperbolic and logarithmic warm-ups settle slower).
 */
export function saturationFit(u: readonly number[], v: readonly number[], u0: number, shapes: readonly WarmupShape[] = EXPONENTIAL): SaturationFit | undefined {
  const n = u.length;
  if (n < 8) return undefined;
  const u1 = u[0];
  const span = u[n - 1] - u1;
  if (!(span > 0)) return undefined;
  // Centre values for numerical stability.
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const y = Float64Array.from(v, (x) => x - mean);
  const one = new Float64Array(n).fill(1);
  const hinge = Float64Array.from(u, (x) => Math.max(0, x - u0));
  const lin = ols([one, hinge], y);
  if (!lin) return undefined;
  let best: { tau: number; fit: NonNullable<ReturnType<typeof ols>>; col: Float64Array; rising: number } | undefined;
  for (const [shape, rising] of shapes) {
    for (const f of TAU_FRACTIONS) {
      const tau = span * f;
      const col = Float64Array.from(u, (x) => shape(x, u1, tau));
      const fit = ols([one, col, hinge], y);
      if (fit && (!best || fit.sse < best.fit.sse)) best = { tau, fit, col, rising };
    }
  }
  if (!best) return undefined;
  const { fit, tau, col, rising } = best;
  const [a, c, r] = fit.beta;
  const res = new Float64Array(n);
  for (let i = 0; i < n; i++) res[i] = y[i] - (a + c * col[i] + r * hinge[i]);
  const rho = lag1(res);
  const dof = n - 4;
  const s2 = fit.sse / dof;
  const deflate = (1 - rho) / (1 + rho);
  // F of this fit against a simpler model's squared error (autocorrelation-deflated).
  const gain = (nullSse: number): number => (s2 > 0 ? ((nullSse - fit.sse) / s2) * deflate : nullSse > fit.sse ? Infinity : 0);
  const rateSe = Math.sqrt(Math.max(0, s2 * fit.inv[2][2]) / deflate);
  const concave = c * rising > 0;
  // The straight line is fitted only when the hinged one lost; from the first point they are the same.
  const beatsStraight = (): boolean => {
    const straight = u0 > u1 ? ols([one, Float64Array.from(u, (x) => x - u1)], y) : lin;
    return !straight || gain(straight.sse) > F_CRIT;
  };
  const decelerating = concave && gain(lin.sse) > F_CRIT && beatsStraight();
  return {
    decelerating,
    concave,
    // Only asked when the linear term's bound alone does not settle it: 42 more fits.
    curveAlone: () => decelerating && s2 > 0 && gain(plainSse(u, y, span)) < F_LINEAR,
    rate: r,
    rateSe,
    tau,
    f: mean + a + r * hinge[n - 1],
  };
}

/** Least squared error of a rising warm-up curve alone (no linear term), bent within the data: τ at most 2/3 of its span. */
function plainSse(u: readonly number[], y: Float64Array, span: number): number {
  const one = new Float64Array(u.length).fill(1);
  let best = Infinity;
  for (const f of PLAIN_TAU_FRACTIONS) {
    for (const [shape, rising] of WARMUP_SHAPES) {
      const fit = ols([one, Float64Array.from(u, (x) => shape(x, u[0], span * f))], y);
      if (fit && fit.beta[1] * rising > 0) best = Math.min(best, fit.sse);
    }
  }
  return best;
}

/** Stretches of an earlier lifetime's curve tried: the same warm-up runs a little faster or slower from one start to the next. */
const STRETCHES = [0.5, 0.57, 0.66, 0.76, 0.87, 1, 1.15, 1.32, 1.52, 1.74, 2];

/** F below which a stretch fits as well as the best one (one parameter, ≈ 95 %). */
const STRETCH_F = 4;

export interface BeyondCurve {
  /** Linear growth per hour from u0 on, beyond the earlier lifetime's curve (scaled and stretched). */
  rate: number;
  /** Its standard error (autocorrelation-inflated). */
  rateSe: number;
}

/**
 * Does the floor (u, v) follow an earlier lifetime's curve (tu, tv), up to its size and pace? Fits
 * v(u) = a + s·T(u/c) + r·(u − u0)₊ with T the earlier floor by uptime (interpolated) and the
 * stretch c on a grid. Of the stretches that fit about as well as the best, returns the fit that
 * leaves the least growth beyond the curve: a leak grows on past where the usual warm-up, however
 * large or slow this time, levels off. Undefined when the curve does not cover the points.
 */
export function beyondCurve(u: readonly number[], v: readonly number[], u0: number, tu: readonly number[], tv: readonly number[]): BeyondCurve | undefined {
  const m = tu.length;
  if (m < 8) return undefined;
  const last = u[u.length - 1];
  // The points every stretch tried can place on the curve.
  const stretches = STRETCHES.filter((c) => last / c <= tu[m - 1]);
  if (stretches.length === 0) return undefined;
  const from = u.findIndex((x) => x / stretches[stretches.length - 1] >= tu[0]);
  if (from < 0 || u.length - from < 8) return undefined;
  const uu = u.slice(from);
  const n = uu.length;
  const mean = v.slice(from).reduce((a, b) => a + b, 0) / n;
  const y = Float64Array.from(v.slice(from), (x) => x - mean);
  const one = new Float64Array(n).fill(1);
  const hinge = Float64Array.from(uu, (x) => Math.max(0, x - u0));
  // The earlier floor has noise of its own: smoothed, it is a curve to compare with.
  const ts = smooth(tv, TEMPLATE_SIDE);
  const fits: { sse: number; rate: number; rateSe: number }[] = [];
  for (const c of stretches) {
    const col = Float64Array.from(uu, (x) => interpolate(tu, ts, x / c));
    const fit = ols([one, col, hinge], y);
    if (!fit || !(fit.beta[1] > 0)) continue;
    const [a, s, r] = fit.beta;
    const res = new Float64Array(n);
    for (let i = 0; i < n; i++) res[i] = y[i] - (a + s * col[i] + r * hinge[i]);
    const rho = lag1(res);
    const s2 = fit.sse / Math.max(1, n - 4);
    fits.push({ sse: fit.sse, rate: r, rateSe: Math.sqrt(Math.max(0, s2 * fit.inv[2][2]) / ((1 - rho) / (1 + rho))) });
  }
  if (fits.length === 0) return undefined;
  // Neighbouring stretches fit nearly as well and trade pace for linear growth: of those the data
  // cannot tell from the best (F < STRETCH_F), the one that leaves the least growth beyond the curve.
  const best = Math.min(...fits.map((f) => f.sse));
  const s2 = best / Math.max(1, n - 4);
  const plausible = fits.filter((f) => s2 === 0 ? f.sse === best : (f.sse - best) / s2 < STRETCH_F);
  return plausible.reduce((a, b) => (lowerBound(b) < lowerBound(a) ? b : a));
}

/** Points each side of a point in the moving average that smooths an earlier lifetime's floor. */
const TEMPLATE_SIDE = 3;

/** Centred moving average over 2·side + 1 points (fewer at the ends). */
function smooth(v: readonly number[], side: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const from = Math.max(0, i - side);
    const to = Math.min(v.length, i + side + 1);
    let s = 0;
    for (let j = from; j < to; j++) s += v[j];
    out[i] = s / (to - from);
  }
  return out;
}

/** Linear interpolation of (xs, ys) at x, xs ascending, x within [xs[0], xs[last]]. */
function interpolate(xs: readonly number[], ys: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  const span = xs[hi] - xs[lo];
  return span > 0 ? ys[lo] + ((ys[hi] - ys[lo]) * (x - xs[lo])) / span : ys[lo];
}
