/**
 * Small least-squares fits for the curve comparisons (saturation.ts): normal equations for up to
 * three columns, and the residuals' lag-1 autocorrelation that deflates their F tests. Pure.
 */

/** Least squares y ~ X (columns), by the normal equations; k ≤ 3. */
export function ols(cols: Float64Array[], y: ArrayLike<number>): { beta: number[]; sse: number; inv: number[][] } | undefined {
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

/** Lag-1 autocorrelation of residuals, clamped to [0, 0.95]. */
export function lag1(res: Float64Array): number {
  let c0 = 0;
  let c1 = 0;
  for (let i = 0; i < res.length; i++) c0 += res[i] * res[i];
  for (let i = 1; i < res.length; i++) c1 += res[i] * res[i - 1];
  return c0 > 0 ? Math.max(0, Math.min(0.95, c1 / c0)) : 0;
}
