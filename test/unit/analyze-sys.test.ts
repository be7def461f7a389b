import { describe, expect, it } from 'vitest';
import { replay } from '../../src/analyze/replay.js';
import type { Sample } from '../../src/model/sample.js';
import { Rng, T0, benchService } from '../bench/scenarios.js';

const HOUR = 3_600_000;
const MB = 1e6;

/**
 * 20 h at 15 s, GOGC 100: a live heap flat at 200 MB but for traffic peaks (a ramp up to `mb`
 * more over 24 minutes, then back), and Sys as
 * the Go runtime keeps it: HeapSys the most the heap ever mapped (never given back), plus the
 * runtime's own memory outside the heap (`outside`, MB at hour h).
 */
function trace(peaks: { at: number; mb: number }[], outside: (h: number) => number): Sample[] {
  const rng = new Rng(3);
  const out: Sample[] = [];
  let heapSys = 0;
  let numGC = 0;
  for (let t = T0; t <= T0 + 20 * HOUR; t += 15_000) {
    const h = (t - T0) / HOUR;
    const peak = peaks.find((p) => h >= p.at && h < p.at + 0.4);
    const live = (200 + (peak ? (peak.mb * (h - peak.at)) / 0.4 : 0)) * MB * (1 + 0.002 * rng.normal());
    heapSys = Math.max(heapSys, 2.2 * live);
    numGC += 3;
    out.push({
      t, heapAlloc: Math.round(live * (1 + rng.next())), nextGC: Math.round(2 * live), gogc: 100, numGC, processStart: T0,
      heapSys: Math.round(heapSys), sys: Math.round(heapSys + outside(h) * MB), rss: Math.round(2.1 * live), goroutines: 100,
    });
  }
  return out;
}

const opened = (samples: Sample[]): string[] => replay(samples, benchService('unit')).incidents.map((i) => `${i.metric}@${((Date.parse(i.openedAt) - T0) / HOUR).toFixed(1)}h`);

describe('Sys: the heap high-water mark is not a leak', () => {
  // A traffic peak every hour, each a little higher than the last: Sys steps up at each and never comes down.
  const peaks = Array.from({ length: 14 }, (_, k) => ({ at: 3 + k, mb: 10 + 6 * k }));

  it('opens nothing when Sys rises only by the address space the heap took at its peaks (HeapSys)', () => {
    expect(opened(trace(peaks, () => 30))).toEqual([]);
  });

  it('opens a Sys incident when the runtime memory outside the heap grows, with the same peaks', () => {
    const incidents = opened(trace(peaks, (h) => 30 + Math.max(0, h - 6) * 12));
    expect(incidents.map((i) => i.split('@')[0])).toEqual(['sys']);
  });
});
