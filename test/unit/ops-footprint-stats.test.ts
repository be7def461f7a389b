import { describe, expect, it } from 'vitest';
import {
  floorSlope, leastSquaresSlope, parseProcStat, parseProcStatus, percentile, scrapeTiming, sumMetric,
} from '../bench/footprint-stats.js';

describe('footprint stats', () => {
  it('parses utime+stime from /proc/<pid>/stat even when the command name has spaces and parens', () => {
    const line = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 20000 18446744073709551615';
    expect(parseProcStat(line).cpuTicks).toBe(1234 + 567);
    expect(() => parseProcStat('garbage')).toThrow(/parsing \/proc stat/);
  });

  it('parses VmRSS and VmHWM in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  102400 kB\nVmRSS:\t   51200 kB\nThreads:\t11\n';
    expect(parseProcStatus(status)).toEqual({ rss: 51200 * 1024, hwm: 102400 * 1024 });
    expect(() => parseProcStatus('Name:\tx\n')).toThrow(/no VmRSS/);
  });

  it('nearest-rank percentiles', () => {
    const v = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 99)).toBe(10);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('least-squares slope', () => {
    expect(leastSquaresSlope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }])).toBeCloseTo(2, 12);
    expect(leastSquaresSlope([{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: 0 }, { x: 3, y: 1 }])).toBeCloseTo(-0.2, 12);
    expect(leastSquaresSlope([{ x: 1, y: 1 }])).toBeNaN();
  });

  it('floor slope ignores a sawtooth whose floor is flat, and sees a rising floor', () => {
    const saw = (rise: number) => Array.from({ length: 120 }, (_, i) => ({ x: i, y: 100 + (i % 10) * 5 + rise * i }));
    expect(floorSlope(saw(0), 10)).toBeCloseTo(0, 12);
    expect(floorSlope(saw(0.2), 10)).toBeCloseTo(0.2, 12);
  });

  it('scrape lag and misses relative to each target phase', () => {
    // Phase 300 ms, period 1 s, window [10_000, 15_000): due at 10300, 11300, 12300, 13300, 14300.
    const a = { phaseMs: 300, arrivals: [9_305, 10_310, 11_305, 13_340, 14_301, 15_302] };
    // Phase 0: due at 10000..14000; the last one arrives late, just before the next due time.
    const b = { phaseMs: 0, arrivals: [10_002, 11_001, 12_000, 13_003, 14_900] };
    const r = scrapeTiming([a, b], { from: 10_000, to: 15_000 }, 1_000);
    expect(r.expected).toBe(10);
    expect(r.missed).toBe(1); // a's 12300 never came
    expect(r.lagsMs).toEqual([10, 5, 40, 1, 2, 1, 0, 3, 900]);
  });

  it('counts a scrape a few ms early (wall clock vs timer clock) as a small negative lag, not a miss', () => {
    const c = { phaseMs: 0, arrivals: [9_999, 11_000, 11_998, 14_999] };
    const r = scrapeTiming([c], { from: 10_000, to: 14_000 }, 1_000);
    expect(r.expected).toBe(4);
    expect(r.lagsMs).toEqual([-1, 0, -2]);
    expect(r.missed).toBe(1); // 13000 never came; 14999 answers 15000, outside the window
  });

  it('sums a metric family, optionally by label', () => {
    const text = '# TYPE x_total counter\nx_total{service="a"} 3\nx_total{service="b"} 4\nx_total_other 100\ny 1\n';
    expect(sumMetric(text, 'x_total')).toBe(7);
    expect(sumMetric(text, 'x_total', { key: 'service', value: 'b' })).toBe(4);
  });
});
