import { describe, expect, it } from 'vitest';
import { findCycle, withoutCycle } from '../../src/analyze/season.js';
import type { Series } from '../../src/analyze/history.js';
import { Rng } from '../bench/scenarios.js';

/** 2.5-minute buckets over a 6 h window, as the detector's at the default window. */
const BUCKET_H = 2.5 / 60;

function series(f: (t: number) => number, skip: (b: number) => boolean = () => false, seed = 3): Series {
  const rng = new Rng(seed);
  const out: Series = { origin: 0, t: [], v: [], u: [], b: [] };
  for (let b = 0; b < 144; b++) {
    if (skip(b)) continue;
    const t = (b + 0.5) * BUCKET_H;
    out.t.push(t);
    out.u.push(t);
    out.b.push(1000 + b);
    out.v.push(f(t) * (1 + 0.002 * rng.normal()));
  }
  return out;
}

const wave = (period: number) => (t: number): number => 400 + 60 * Math.sin((2 * Math.PI * t) / period);

describe('findCycle', () => {
  it('finds the period of a traffic cycle on top of a trend, to a bucket', () => {
    const c = findCycle(series((t) => wave(1.3)(t) + 8 * t), BUCKET_H, 0.5, 2);
    expect(c).toBeDefined();
    expect(Math.abs(c!.period * BUCKET_H - 1.3)).toBeLessThanOrEqual(BUCKET_H);
  });

  it('pairs points by bucket, so missing buckets do not shift the period', () => {
    const c = findCycle(series(wave(1.5), (b) => b % 7 === 3), BUCKET_H, 0.5, 2);
    expect(Math.abs(c!.period * BUCKET_H - 1.5)).toBeLessThanOrEqual(BUCKET_H);
  });

  it('finds none in a warm-up curve, a straight leak or a cycle longer than the range', () => {
    expect(findCycle(series((t) => 400 + 200 * (1 - Math.exp(-t / 1.5))), BUCKET_H, 0.5, 2)).toBeUndefined();
    expect(findCycle(series((t) => 400 + 10 * t), BUCKET_H, 0.5, 2)).toBeUndefined();
    expect(findCycle(series(wave(5)), BUCKET_H, 0.5, 2)).toBeUndefined();
  });

  it('finds none in a random wander', () => {
    const rng = new Rng(11);
    let level = 400;
    const walk = series(() => (level += 2 * rng.normal()));
    expect(findCycle(walk, BUCKET_H, 0.5, 2)).toBeUndefined();
  });
});

describe('withoutCycle', () => {
  it('leaves the trend and the noise: the swing shrinks from ±60 to about the noise', () => {
    const x = series((t) => wave(1.3)(t) + 8 * t);
    const flat = withoutCycle(x, findCycle(x, BUCKET_H, 0.5, 2)!);
    const residual = flat.v.map((v, i) => v - (400 + 8 * flat.t[i]));
    const mean = residual.reduce((a, r) => a + r, 0) / residual.length;
    expect(Math.max(...residual.map((r) => Math.abs(r - mean)))).toBeLessThan(12);
    expect(flat.t).toEqual(x.t);
    expect(flat.b).toEqual(x.b);
  });
});
