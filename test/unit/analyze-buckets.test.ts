import { describe, expect, it } from 'vitest';
import { Bucket, BucketFolder, heapLeftByGC } from '../../src/analyze/buckets.js';
import type { Sample } from '../../src/model/sample.js';

const MB = 1e6;
const SCRAPE = 15_000;
const WIDTH = 150_000;
const T0 = 1_800_000_000_000;

/**
 * A Go process as MemStats shows it: a GC ends every `gcEvery` ms and leaves `live(t)` marked;
 * HeapAlloc is that plus what was allocated since (at `rate(t)` bytes/ms); LastGC is when the
 * last GC ended (ns), in the same clock as the scrape, shifted by `skew` ms. Read every 15 s.
 */
function goProcess(ms: number, gcEvery: number, live: (t: number) => number, rate: (t: number) => number, skew = 0): { samples: Sample[]; liveAt: Map<number, number> } {
  const samples: Sample[] = [];
  const liveAt = new Map<number, number>();
  let total = 0, numGC = 0, lastGC = 0, marked = live(0), since = 0;
  for (let t = 0; t <= ms; t += 100) {
    const a = rate(t) * 100;
    total += a;
    since += a;
    if (t > 0 && t % gcEvery === 0) {
      numGC++;
      lastGC = t;
      marked = live(t);
      since = 0;
    }
    if (t % SCRAPE === 0) {
      samples.push({ t: T0 + t, heapAlloc: marked + since, totalAlloc: total, numGC, lastGC: lastGC > 0 ? (T0 + lastGC + skew) * 1e6 : 0, nextGC: 400 * MB, processStart: T0 });
      liveAt.set(T0 + t, marked);
    }
  }
  return { samples, liveAt };
}

function fold(samples: Sample[]): Bucket[] {
  const out: Bucket[] = [];
  const f = new BucketFolder(WIDTH, undefined, (b) => out.push(b));
  for (const s of samples) f.push(s);
  f.closeBefore(Infinity);
  return out;
}

/** The least live heap a GC left within bucket `b` (the floor it should read). */
function leastLive(b: Bucket, liveAt: Map<number, number>): number {
  let m = Infinity;
  for (const [t, v] of liveAt) if (Math.floor(t / WIDTH) === b.b) m = Math.min(m, v);
  return m;
}

describe('buckets: the heap a GC left, from LastGC and the allocation rate', () => {
  it('reads the live heap where each scrape lands some way into a GC cycle, where HeapAlloc carries what was allocated since', () => {
    // 2 MB/s against a GC every 97 s: each 15 s scrape carries 0–190 MB of new objects on a live heap of 100 MB rising 4 MB/h.
    const { samples, liveAt } = goProcess(2 * 3_600_000, 97_000, (t) => 100 * MB + (4 * MB * t) / 3_600_000, () => 2 * MB / 1000);
    const buckets = fold(samples).filter((b) => b.samples >= 8);
    expect(buckets.length).toBeGreaterThan(40);
    for (const b of buckets) {
      const live = leastLive(b, liveAt);
      expect(Math.abs(b.cycleLive - live)).toBeLessThan(0.01 * live);
      expect(b.cycleLive).toBeLessThanOrEqual(b.cycleMin);
    }
    // HeapAlloc's least per cycle wanders by a good part of the headroom over the same buckets.
    const above = buckets.map((b) => b.cycleMin - leastLive(b, liveAt));
    expect(Math.max(...above)).toBeGreaterThan(10 * MB);
  });

  it('takes off no more than the slower of two intervals allocated: a burst that ended in a GC is not spread over the time after it', () => {
    // A batch job: 1 MB/s, but 100 MB/s for the two seconds before each GC (every 65 s): spread over
    // its 15 s interval, that rate would take off far more than the time since the GC allocated.
    const burst = (t: number) => (t % 65_000 >= 63_000 ? 100 : 1) * MB / 1000;
    const { samples, liveAt } = goProcess(3_600_000, 65_000, () => 100 * MB, burst);
    for (const b of fold(samples)) if (b.samples >= 8) expect(b.cycleLive).toBeGreaterThanOrEqual(0.99 * leastLive(b, liveAt));
  });

  it('leaves HeapAlloc as it is where the clocks disagree: a GC that ended before the previous scrape by its own clock', () => {
    const { samples } = goProcess(3_600_000, 40_000, () => 100 * MB, () => 2 * MB / 1000, -20_000);
    for (const b of fold(samples)) expect(b.cycleLive).toBe(b.cycleMin);
  });

  it('leaves HeapAlloc as it is without LastGC', () => {
    const { samples } = goProcess(3_600_000, 40_000, () => 100 * MB, () => 2 * MB / 1000);
    for (const b of fold(samples.map(({ lastGC: _, ...s }) => s))) expect(b.cycleLive).toBe(b.cycleMin);
  });

  it('takes off the time since LastGC at the slower of the two latest rates, never below 0, and nothing when the GC ended before the previous sample', () => {
    const prev: Sample = { t: T0, totalAlloc: 1000 * MB, numGC: 10 };
    const at = (since: number, allocated: number, numGC = 11): Sample => ({ t: T0 + SCRAPE, totalAlloc: 1000 * MB + allocated, numGC, lastGC: (T0 + SCRAPE - since) * 1e6 });
    const perMs = (mbPerS: number) => (mbPerS * MB) / 1000;
    // 15 MB over 15 s, 1 MB/s before: 5 s since the GC takes off 5 MB.
    expect(heapLeftByGC(50 * MB, at(5_000, 15 * MB), prev, 10, perMs(1))).toBeCloseTo(45 * MB, -3);
    // A burst in this interval (150 MB): the interval before (1 MB/s) sets the rate.
    expect(heapLeftByGC(50 * MB, at(5_000, 150 * MB), prev, 10, perMs(1))).toBeCloseTo(45 * MB, -3);
    // A burst over both intervals that ended in the GC: at most all of HeapAlloc.
    expect(heapLeftByGC(50 * MB, at(10_000, 1500 * MB), prev, 10, perMs(100))).toBe(0);
    // No GC since the previous sample, a GC before it by the target's clock, no rate before, no LastGC.
    expect(heapLeftByGC(50 * MB, at(5_000, 15 * MB, 10), prev, 10, perMs(1))).toBe(50 * MB);
    expect(heapLeftByGC(50 * MB, at(20_000, 15 * MB), prev, 10, perMs(1))).toBe(50 * MB);
    expect(heapLeftByGC(50 * MB, at(5_000, 15 * MB), prev, 10, undefined)).toBe(50 * MB);
    expect(heapLeftByGC(50 * MB, { ...at(5_000, 15 * MB), lastGC: 0 }, prev, 10, perMs(1))).toBe(50 * MB);
  });
});
