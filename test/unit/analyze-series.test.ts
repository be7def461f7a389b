import { describe, expect, it } from 'vitest';
import { History } from '../../src/analyze/history.js';
import { bucketWidth, floorSeries } from '../../src/analyze/series.js';
import { fitTrend } from '../../src/analyze/trend.js';
import { isRestart } from '../../src/model/restart.js';
import type { Sample } from '../../src/model/sample.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const MB = 1e6;

describe('restarts and lifetimes', () => {
  it.each([
    { desc: 'collector flag', prev: { t: 0 }, cur: { t: 1, restart: true }, want: true },
    { desc: 'new process start', prev: { t: 0, processStart: 1000 }, cur: { t: 1, processStart: 90_000 }, want: true },
    { desc: 'same process start (float jitter)', prev: { t: 0, processStart: 1000 }, cur: { t: 1, processStart: 1000.4 }, want: false },
    { desc: 'new pid', prev: { t: 0, pid: 5 }, cur: { t: 1, pid: 6 }, want: true },
    { desc: 'NumGC backwards', prev: { t: 0, numGC: 50 }, cur: { t: 1, numGC: 2 }, want: true },
    { desc: 'TotalAlloc backwards', prev: { t: 0, totalAlloc: 5e9 }, cur: { t: 1, totalAlloc: 1e6 }, want: true },
    { desc: 'counters forward', prev: { t: 0, numGC: 5, totalAlloc: 1 }, cur: { t: 1, numGC: 6, totalAlloc: 2 }, want: false },
  ])('$desc → $want', ({ prev, cur, want }) => {
    expect(isRestart(prev as Sample, cur as Sample)).toBe(want);
  });
});

function cycleTrace(opts: { minutes: number; live: (m: number) => number; gogc: number; known: boolean; limit?: number; limitUntold?: boolean; goalJitter?: number }): Sample[] {
  const out: Sample[] = [];
  let phase = 0;
  let numGC = 0;
  for (let m = 0; m < opts.minutes; m += 0.25) {
    const live = opts.live(m);
    // Under a limit the runtime's goal is the limit less its other memory, which moves a little from cycle to cycle.
    const held = opts.limit !== undefined ? opts.limit * (1 + (opts.goalJitter ?? 0) * Math.sin(m / 7)) : Infinity;
    const goal = Math.min(live * (1 + opts.gogc / 100), held);
    phase += 0.37 * (goal - live);
    while (phase >= goal - live) {
      phase -= goal - live;
      numGC++;
    }
    const s: Sample = { t: m * MIN, heapAlloc: live + phase, nextGC: goal, numGC };
    if (opts.known) s.gogc = opts.gogc;
    if (opts.limit !== undefined && !opts.limitUntold) s.gomemlimit = opts.limit;
    out.push(s);
  }
  return out;
}

describe('heap floor', () => {
  const w = bucketWidth(6 * 3_600_000);
  it('uses 5-minute buckets for a 6 h window, window/72 within [1 s, 30 min] otherwise', () => {
    expect(w).toBe(5 * MIN);
    expect(bucketWidth(72 * MIN)).toBe(MIN);
    expect(bucketWidth(10_000)).toBe(1000);
    expect(bucketWidth(7 * 86_400_000)).toBe(30 * MIN);
  });

  it.each([
    { desc: 'GOGC known', gogc: 100, known: true },
    { desc: 'GOGC 300 known', gogc: 300, known: true },
    { desc: 'GOGC unknown (estimated from NextGC/HeapAlloc)', gogc: 100, known: false },
    { desc: 'GOGC 300 unknown', gogc: 300, known: false },
  ])('$desc: the floor is the live heap, not the sawtooth', ({ gogc, known }) => {
    const samples = cycleTrace({ minutes: 120, live: (m) => 100 * MB + m * 0.1 * MB, gogc, known });
    const f = floorSeries(samples, 0, 0, 120 * MIN, w, undefined).heap;
    expect(f.v.length).toBe(24);
    f.v.forEach((v, i) => {
      const live = 100 * MB + (i * 5 + 2.5) * 0.1 * MB;
      expect(Math.abs(v - live) / live).toBeLessThan(0.05);
    });
  });

  it('falls back to HeapAlloc per GC cycle when a known GOMEMLIMIT pins the goal', () => {
    const samples = cycleTrace({ minutes: 60, live: () => 400 * MB, gogc: 100, known: true, limit: 450 * MB });
    const f = floorSeries(samples, 0, 0, 60 * MIN, w, undefined).heap;
    for (const v of f.v) expect(v / (400 * MB)).toBeLessThan(1.05);
    for (const v of f.v) expect(v / (400 * MB)).toBeGreaterThanOrEqual(1);
  });

  it.each([
    { desc: 'GOGC known', known: true },
    { desc: 'GOGC unknown', known: false },
  ])('$desc, GOMEMLIMIT not told: a goal that stands still while the heap grows under it is a limit, and the floor follows HeapAlloc', ({ known }) => {
    // 150 MB live growing 10 MB/h under a goal held at 290 MB (GOGC 100 alone would put it at 300-340 MB).
    const live = (m: number): number => 150 * MB + (m / 60) * 10 * MB;
    const samples = cycleTrace({ minutes: 240, live, gogc: 100, known, limit: 290 * MB, limitUntold: true });
    expect(samples.every((s) => s.gomemlimit === undefined && s.nextGC === 290 * MB)).toBe(true);
    const fromSeries = floorSeries(samples, 0, 0, 240 * MIN, w, undefined).heap;
    const h = new History({ window: 6 * HOUR, longest: 0, gogc: undefined });
    for (const s of samples) h.push(s);
    const fromHistory = h.series('heap', h.fine, 0, h.fine.length, 0, 0, 0);
    for (const f of [fromSeries, fromHistory]) {
      expect(f.v.length).toBeGreaterThan(40);
      // HeapAlloc minima sample the sawtooth: never under the live heap, a few % over it at most.
      f.v.forEach((v, i) => expect(v / live(f.t[i] * 60)).toBeGreaterThanOrEqual(0.999));
      f.v.forEach((v, i) => expect(v / live(f.t[i] * 60)).toBeLessThan(1.12));
      // The growth shows: the floor's trend is the live heap's 10 MB/h (a goal-derived floor would be flat).
      expect(fitTrend(f.t, f.v).slope / (10 * MB)).toBeGreaterThan(0.8);
      expect(fitTrend(f.t, f.v).slope / (10 * MB)).toBeLessThan(1.2);
    }
  });

  it('GOGC unknown, GOMEMLIMIT not told: a goal that wanders (±0.3 %) but does not follow the heap growing under it is a limit too', () => {
    const live = (m: number): number => 150 * MB + (m / 60) * 10 * MB;
    const samples = cycleTrace({ minutes: 240, live, gogc: 100, known: false, limit: 290 * MB, limitUntold: true, goalJitter: 0.003 });
    const goals = samples.map((s) => s.nextGC!);
    expect(Math.max(...goals) / Math.min(...goals) - 1).toBeGreaterThan(0.005);
    const fromSeries = floorSeries(samples, 0, 0, 240 * MIN, w, undefined).heap;
    const h = new History({ window: 6 * HOUR, longest: 0, gogc: undefined });
    for (const s of samples) h.push(s);
    const fromHistory = h.series('heap', h.fine, 0, h.fine.length, 0, 0, 0);
    for (const f of [fromSeries, fromHistory]) {
      expect(fitTrend(f.t, f.v).slope / (10 * MB)).toBeGreaterThan(0.8);
      expect(fitTrend(f.t, f.v).slope / (10 * MB)).toBeLessThan(1.2);
    }
  });

  it('takes the service GOGC over none in the samples', () => {
    const samples = cycleTrace({ minutes: 30, live: () => 100 * MB, gogc: 200, known: false });
    const f = floorSeries(samples, 0, 0, 30 * MIN, w, 200).heap;
    for (const v of f.v) expect(v).toBeCloseTo(100 * MB, -3);
  });
});
