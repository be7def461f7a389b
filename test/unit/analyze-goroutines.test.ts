import { describe, expect, it } from 'vitest';
import { replay } from '../../src/analyze/replay.js';
import type { Sample } from '../../src/model/sample.js';
import { Rng, T0, benchService } from '../bench/scenarios.js';

const HOUR = 3_600_000;
const MB = 1e6;

/**
 * 16 h at 15 s of a service with a worker pool: the pool's size changes every 40 min (its
 * goroutines follow in one step), on top of a steady base with in-flight requests as noise, plus
 * `leaked` goroutines at hour h. The heap is flat but for `perWorker` bytes each pool goroutine
 * holds and `heapLeak` bytes leaked by hour h.
 */
function trace(sizes: number[], leaked: (h: number) => number, perWorker = 0, heapLeak: (h: number) => number = () => 0): Sample[] {
  const rng = new Rng(5);
  const out: Sample[] = [];
  let numGC = 0;
  for (let t = T0; t <= T0 + 16 * HOUR; t += 15_000) {
    const h = (t - T0) / HOUR;
    const pool = sizes[Math.floor(h / (2 / 3)) % sizes.length];
    const live = 200 * MB * (1 + 0.002 * rng.normal()) + pool * perWorker + heapLeak(h);
    numGC += 3;
    out.push({
      t, heapAlloc: Math.round(live * (1 + rng.next())), nextGC: Math.round(2 * live), gogc: 100, numGC, processStart: T0,
      sys: Math.round(2.3 * live), rss: Math.round(2.1 * live),
      goroutines: Math.round(80 + pool + leaked(h) + 10 * Math.abs(rng.normal())),
    });
  }
  return out;
}

const opened = (samples: Sample[]): string[] => replay(samples, benchService('unit')).incidents.map((i) => `${i.metric}@${((Date.parse(i.openedAt) - T0) / HOUR).toFixed(1)}h`);

describe('goroutines: a leak under a pool that resizes', () => {
  // The pool grows and shrinks by hundreds at a time, more than a leak adds in hours.
  const sizes = [200, 600, 250, 700, 300, 650, 150, 500, 350, 800, 200, 550];

  it('opens a goroutine incident for a leak of 120 an hour climbing through the resizes', () => {
    const incidents = opened(trace(sizes, (h) => (h > 8 ? 120 * (h - 8) : 0)));
    expect(incidents.filter((i) => i.startsWith('goroutines@'))).toHaveLength(1);
    const at = Number(incidents.find((i) => i.startsWith('goroutines@'))!.slice('goroutines@'.length, -1));
    expect(at).toBeGreaterThan(8);
    expect(at).toBeLessThan(12);
  });

  it('opens nothing for the pool alone, even through a run of resizes each larger than the last', () => {
    const rising = [200, 600, 250, 300, 400, 500, 650, 800, 150, 500, 350, 200];
    expect(opened(trace(rising, () => 0))).toEqual([]);
  });

  // Each worker holds 150 KB: the run of resizes lifts the heap floor by 82 MB in five steps of
  // 7–23 MB over 3.3 h (a staircase, as a leak per batch is), and the pool's shrinking drops it again.
  const rising = [200, 600, 250, 300, 400, 500, 650, 800, 150, 500, 350, 200];

  it('opens no heap incident for the heap each worker holds: the floor steps with the pool', () => {
    expect(opened(trace(rising, () => 0, 150e3))).toEqual([]);
  });

  it('still opens a heap incident for a heap leak under that pool', () => {
    const incidents = opened(trace(rising, () => 0, 150e3, (h) => (h > 8 ? 6 * MB * (h - 8) : 0)));
    expect(incidents.filter((i) => i.startsWith('heap@'))).toHaveLength(1);
    expect(Number(incidents.find((i) => i.startsWith('heap@'))!.slice('heap@'.length, -1))).toBeGreaterThan(8);
  });
});
