import { describe, expect, it } from 'vitest';
import { Bucket, BucketFolder } from '../../src/analyze/buckets.js';
import { History } from '../../src/analyze/history.js';
import type { Sample } from '../../src/model/sample.js';

const HOUR = 3_600_000;
/** Kept for every bucket (floors as Float32). */
const EXACT = ['b', 't', 'life', 'lifeStart'] as const;
const FLOORS = ['goalLive', 'cycleMin', 'cycleLive', 'goalMin', 'sys', 'rss', 'goroutines'] as const;
/** Kept for the newest buckets only (the trend window). */
const RECENT = ['samples', 'allocBytes', 'allocMs', 'rateN', 'rateSum', 'rateSq', 'memlimit', 'allocRate', 'rateVariance', 'samplesAtMinimum'] as const;
const RECENT_F32 = ['ratioMax', 'gcs', 'heapSys'] as const;
type Fields = Record<(typeof EXACT | typeof FLOORS | typeof RECENT | typeof RECENT_F32)[number], number>;

/** A service sawing between GCs, restarting every `lifeMs`, with every field the buckets fold. */
function trace(ms: number, everyMs: number, lifeMs: number): Sample[] {
  const out: Sample[] = [];
  let numGC = 0;
  let total = 0;
  for (let t = 0; t < ms; t += everyMs) {
    const age = t % lifeMs;
    if (age < everyMs) numGC = total = 0;
    numGC += t % 3 === 0 ? 1 : 0;
    total += 1e6 + (t % 7) * 1e5;
    out.push({
      t, processStart: t - age, heapAlloc: 50e6 + (t % 11) * 1e6, nextGC: 100e6 + (t % 5) * 1e6, numGC, totalAlloc: total,
      pauseTotalNs: numGC * 1000, sys: 120e6 + (t % 13) * 1e5, heapSys: 110e6 + (t % 19) * 1e5, rss: 130e6 - (t % 17) * 1e5, goroutines: 40 + (t % 9),
      gomemlimit: t % 2 ? 2e9 : undefined,
    });
  }
  return out;
}

const pick = (b: Fields, names: readonly (keyof Fields)[], f32 = false) => Object.fromEntries(names.map((f) => [f, f32 ? Math.fround(b[f]) : b[f]]));
const floors = (b: Fields) => ({ ...pick(b, EXACT), ...pick(b, FLOORS, true) });
const recent = (b: Fields) => ({ ...pick(b, RECENT), ...pick(b, RECENT_F32, true) });

describe('History: buckets kept column by column', () => {
  it('holds exactly the newest buckets the folder completes, through ring growth, wrap-around and restarts', () => {
    // A 1-minute window: 1 s buckets, kept for 8 windows; 40 minutes of samples wrap the ring many times.
    const h = new History({ window: 60_000, longest: 0, gogc: undefined });
    const folded: Bucket[] = [];
    const folder = new BucketFolder(h.width, undefined, (b) => folded.push(b));
    const samples = trace(40 * 60_000, 700, 7 * 60_000);
    // Then a crash loop: a lifetime per sample, ten buckets a second, grows the ring while it wraps.
    for (let t = 40 * 60_000; t < 45 * 60_000; t += 100) samples.push({ t, restart: true, heapAlloc: 1e6 + t, sys: 2e6 + t, goroutines: 3 });
    for (const s of samples) {
      h.push(s);
      folder.push(s);
    }
    expect(folded.length).toBeGreaterThan(2000);
    const kept = folded.slice(folded.length - h.fine.length);
    expect(h.fine.map(floors)).toEqual(kept.map(floors));
    // Rates and GC counts for the newest 152 buckets and the last window (plus 4 buckets); not for older ones.
    const newest = kept[kept.length - 1].t;
    const full = kept.filter((b, i) => i >= kept.length - 152 || b.t >= newest - 60_000 - 4 * h.width).length;
    expect(h.fine.slice(-full).map(recent)).toEqual(kept.slice(-full).map(recent));
    expect(full).toBeLessThan(kept.length);
    for (const b of h.fine.slice(0, -full)) expect([b.allocRate, b.gcs, b.ratioMax, b.samples]).toEqual([NaN, NaN, NaN, 0]);
    // The oldest kept is no older than the 8 windows kept plus the 64 buckets dropped at a time.
    expect(kept[kept.length - 1].t - h.fine[0].t).toBeLessThanOrEqual(8 * 60_000 + 67 * h.width);
    expect(new Set(h.fine.map((b) => b.life)).size).toBeGreaterThan(1);
  });

  it('merges fine buckets into hourly ones per lifetime, floors as minima, for the longest window', () => {
    const h = new History({ window: 6 * HOUR, longest: 2 * 24 * HOUR, gogc: 100 });
    for (const s of trace(4 * 24 * HOUR, 60_000, 30 * HOUR)) h.push(s);
    expect(h.hourly.length).toBeGreaterThan(40);
    expect(h.hourly.length).toBeLessThanOrEqual(2 * 24 + 3);
    for (const hb of h.hourly) {
      const fine = h.fine.filter((f) => Math.floor(f.t / HOUR) === hb.b && f.life === hb.life);
      if (fine.length === 0) continue;
      expect(hb.sys).toBe(Math.min(...fine.map((f) => f.sys)));
      expect(hb.goalLive).toBe(Math.min(...fine.map((f) => f.goalLive)));
      expect(hb.goroutines).toBe(Math.min(...fine.map((f) => f.goroutines)));
    }
  });
});
