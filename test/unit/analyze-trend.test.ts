import { describe, expect, it } from 'vitest';
import { fitTrend, hamedRaoFactor, lineNoise, mannKendall, medianOf, normalCdf, theilSen, theilSenCeiling, timeToLimit } from '../../src/analyze/trend.js';
import { Rng } from '../bench/scenarios.js';

const hours = (n: number, step = 1): number[] => Array.from({ length: n }, (_, i) => i * step);

describe('normalCdf', () => {
  it.each([
    [0, 0.5],
    [1.6448536, 0.95],
    [2.3263479, 0.99],
    [-1.959964, 0.025],
  ])('Φ(%f) = %f', (z, p) => {
    expect(normalCdf(z)).toBeCloseTo(p, 6);
  });
});

describe('mannKendall', () => {
  it.each([
    { desc: 'strictly increasing', v: [1, 2, 3, 4, 5], s: 10, varS: (5 * 4 * 15) / 18 },
    { desc: 'strictly decreasing', v: [5, 4, 3, 2, 1], s: -10, varS: (5 * 4 * 15) / 18 },
    { desc: 'two tie groups', v: [1, 1, 2, 2], s: 4, varS: (4 * 3 * 13 - 2 * (2 * 1 * 9)) / 18 },
    { desc: 'all tied', v: [7, 7, 7, 7], s: 0, varS: 0 },
    { desc: 'mixed', v: [3, 1, 2], s: -1, varS: (3 * 2 * 11) / 18 },
  ])('$desc: S=$s', ({ v, s, varS }) => {
    const r = mannKendall(v);
    expect(r.s).toBe(s);
    expect(r.varS).toBeCloseTo(varS, 10);
  });
});

describe('fitTrend (Theil–Sen + Sen interval + corrected Mann–Kendall)', () => {
  it.each([
    { desc: 'rising line', slope: 2.5 },
    { desc: 'falling line', slope: -4 },
    { desc: 'flat line', slope: 0 },
  ])('$desc: slope and both bounds are exact', ({ slope }) => {
    const t = hours(20);
    const f = fitTrend(t, t.map((x) => 100 + slope * x));
    expect(f.slope).toBeCloseTo(slope, 12);
    expect(f.lower).toBeCloseTo(slope, 12);
    expect(f.upper).toBeCloseTo(slope, 12);
  });

  it('ignores a wild outlier (one rank, not its size)', () => {
    const t = hours(25);
    const v = t.map((x) => 10 + 3 * x);
    v[12] = 1e9;
    expect(fitTrend(t, v).slope).toBeCloseTo(3, 9);
  });

  it('is certain about a clean trend and not about noise', () => {
    const rng = new Rng(7);
    const t = hours(48, 0.25);
    const trending = fitTrend(t, t.map((x) => 100 + 2 * x + rng.normal()));
    expect(trending.confidence).toBeGreaterThan(0.999);
    expect(trending.lower).toBeGreaterThan(1.5);
    expect(trending.upper).toBeLessThan(2.5);
    const noise = fitTrend(t, t.map(() => 100 + rng.normal()));
    expect(noise.confidence).toBeLessThan(0.99);
    expect(noise.lower).toBeLessThan(0);
    expect(noise.upper).toBeGreaterThan(0);
  });

  it('a constant series has zero slope and no evidence either way', () => {
    const f = fitTrend(hours(10), Array(10).fill(5));
    expect(f.slope).toBe(0);
    expect(f.confidence).toBeCloseTo(0.5, 8);
  });

  it('widens the interval for autocorrelated wander (Hamed–Rao)', () => {
    const rng = new Rng(3);
    const t = hours(72);
    const white = t.map(() => rng.normal());
    let x = 0;
    const wander = t.map(() => (x = 0.9 * x + rng.normal()));
    expect(hamedRaoFactor(t, white, 0)).toBeLessThan(1.5);
    expect(hamedRaoFactor(t, wander, 0)).toBeGreaterThan(2);
    const a = fitTrend(t, wander);
    expect(a.varS).toBeGreaterThan(mannKendall(wander).varS);
  });

  it('reports the noise around the line', () => {
    const rng = new Rng(11);
    const t = hours(200, 0.1);
    const noise = lineNoise(t, t.map((x) => 5 * x + 3 * rng.normal()));
    expect(noise).toBeGreaterThan(2.4);
    expect(noise).toBeLessThan(3.6);
  });
});

describe('timeToLimit', () => {
  it.each([
    { current: 1000, slope: 100, limit: 2000, want: 10 },
    { current: 1000, slope: 0, limit: 2000, want: null },
    { current: 1000, slope: -5, limit: 2000, want: null },
    { current: 2500, slope: 100, limit: 2000, want: 0 },
    { current: 1000, slope: 100, limit: undefined, want: null },
  ])('$current at $slope/h to $limit → $want h', ({ current, slope, limit, want }) => {
    expect(timeToLimit(current, slope, limit)).toBe(want);
  });
});

describe('medianOf', () => {
  const sorted = (xs: number[]): number => {
    const s = Float64Array.from(xs).sort();
    const m = s.length >> 1;
    return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };

  it('is the middle of the sorted values, odd and even, over a range, ties and NaN included, and leaves its input alone', () => {
    const rng = new Rng(5);
    for (let k = 0; k < 200; k++) {
      const n = 1 + Math.floor(rng.next() * 60);
      const xs = Array.from({ length: n }, () => (k % 7 === 0 ? Math.round(rng.next() * 3) : rng.normal() * 1e6));
      if (k % 11 === 0) xs[Math.floor(rng.next() * n)] = NaN;
      const copy = xs.slice();
      const from = Math.floor(rng.next() * n);
      const to = from + Math.floor(rng.next() * (n - from + 1));
      expect(medianOf(xs)).toBe(sorted(xs));
      expect(medianOf(xs, from, to)).toBe(sorted(xs.slice(from, to)));
      expect(xs).toEqual(copy);
    }
  });
});

describe('fitTrend and mannKendall', () => {
  it('agree on S, ties and repeated times included', () => {
    const rng = new Rng(9);
    for (let k = 0; k < 50; k++) {
      const t = hours(30).map((x) => (k % 5 === 0 ? Math.floor(x / 2) : x));
      const v = t.map(() => Math.round(rng.normal() * 3));
      expect(fitTrend(t, v).s).toBe(mannKendall(v).s);
    }
  });
});

describe('theilSenCeiling', () => {
  it('is the Theil–Sen slope, and never below fitTrend’s lower bound: trends, wander, ties, repeated times', () => {
    const rng = new Rng(23);
    let tight = 0;
    for (let k = 0; k < 300; k++) {
      const n = 3 + Math.floor(rng.next() * 150);
      const t = hours(n, 0.04).map((x) => (k % 7 === 0 ? Math.floor(x * 5) / 5 : x));
      let wander = 0;
      const v = t.map((x) => {
        wander = (k % 3 === 0 ? 0.95 : 0) * wander + rng.normal();
        const y = (k % 4) * x + wander * (1 + (k % 5));
        return k % 6 === 0 ? Math.round(y) : y;
      });
      const { slope, lowerAtMost } = theilSenCeiling(t, v);
      const fit = fitTrend(t, v);
      expect(slope, `case ${k}`).toBe(theilSen(t, v));
      expect(lowerAtMost, `case ${k}`).toBeGreaterThanOrEqual(fit.lower);
      if (lowerAtMost === fit.lower) tight++;
    }
    // Without autocorrelation the factor is often 1 and the ceiling is the bound itself.
    expect(tight).toBeGreaterThan(30);
  });
});
