import { describe, expect, it } from 'vitest';
import { decimate, lineChart, niceTicks, sparkline, timeTicks, type Point } from '../../src/web/charts.js';
import { heapFloorPoints, lifetimes } from '../../src/web/memory-charts.js';
import type { Sample } from '../../src/model/sample.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

describe('axis ticks', () => {
  it.each([
    ['bytes range', 48e6, 131e6, 4, [50e6, 75e6, 100e6, 125e6]],
    ['small counts', 0, 7, 5, [0, 2, 4, 6]],
    ['fractions', 0.1, 0.45, 4, [0.1, 0.2, 0.3, 0.4]],
    ['negative to positive', -3, 3, 3, [-2, 0, 2]],
    ['a single value', 5, 5, 4, [5]],
  ])('niceTicks: %s', (_d, lo, hi, n, want) => {
    expect(niceTicks(lo, hi, n)).toEqual(want);
  });

  it('counts get whole-number ticks however flat the series', () => {
    expect(niceTicks(4.5, 5.5, 4, 1)).toEqual([5]);
    const svg = lineChart({ title: 'g', series: [{ name: 'goroutines', points: [[T0, 5], [T0 + 60_000, 5]], color: '#000' }], formatY: String, minStep: 1 }).value;
    const labels = [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(['4', '5', '6']);
  });

  it('time ticks fall on round UTC boundaries', () => {
    const { step, ticks } = timeTicks(T0 + 7 * 60_000, T0 + 67 * 60_000);
    expect(step).toBe(10 * 60_000);
    expect(ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
    expect(timeTicks(T0, T0 + 40_000).step).toBe(10_000);
  });
});

describe('decimate', () => {
  it('keeps small series as they are', () => {
    const pts: Point[] = [[1, 1], [2, 5], [3, 2]];
    expect(decimate(pts, 10)).toEqual(pts);
  });

  it('bounds the points and keeps every spike and dip, in time order', () => {
    const pts: Point[] = Array.from({ length: 10_000 }, (_, i) => [T0 + i * 1000, i === 4321 ? 1e9 : i === 7777 ? -1e9 : i % 7]);
    const out = decimate(pts, 300);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(out.length).toBeGreaterThan(150);
    expect(out).toContainEqual([T0 + 4321_000, 1e9]);
    expect(out).toContainEqual([T0 + 7777_000, -1e9]);
    expect(out[0]).toEqual(pts[0]);
    for (let i = 1; i < out.length; i++) expect(out[i]![0]).toBeGreaterThan(out[i - 1]![0]);
  });
});

describe('lineChart', () => {
  const series = (pts: Point[]) => [{ name: 'heap <floor>', points: pts, color: '#000' }];

  it('draws each series as one path inside the plot area, labels escaped', () => {
    const pts: Point[] = Array.from({ length: 50 }, (_, i) => [T0 + i * 60_000, 100 + i]);
    const svg = lineChart({ title: 'a <chart>', series: series(pts), formatY: (v) => `${v}<u>` }).value;
    expect(svg).toContain('<title>a &lt;chart&gt;</title>');
    expect(svg).toContain('heap &lt;floor&gt;');
    expect(svg).toContain('&lt;u&gt;');
    const d = /<path class="series"[^>]* d="([^"]+)"/.exec(svg)![1]!;
    expect(d.match(/M/g)).toHaveLength(1);
    const coords = [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(coords).toHaveLength(50);
    for (const [x, y] of coords) {
      expect(x).toBeGreaterThanOrEqual(70);
      expect(x).toBeLessThanOrEqual(900 - 14);
      expect(y).toBeGreaterThanOrEqual(12);
      expect(y).toBeLessThanOrEqual(240 - 26);
    }
    // Rising values go up the page: y decreases.
    expect(coords[49]![1]).toBeLessThan(coords[0]![1]);
  });

  it('breaks the line over a gap in the samples', () => {
    const pts: Point[] = [
      ...Array.from({ length: 10 }, (_, i): Point => [T0 + i * 15_000, 1]),
      ...Array.from({ length: 10 }, (_, i): Point => [T0 + 3_600_000 + i * 15_000, 2]),
    ];
    const d = /d="([^"]+)"/.exec(lineChart({ title: 't', series: series(pts), formatY: String }).value)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
  });

  it('says so when there is no data, and draws markers inside the range only', () => {
    expect(lineChart({ title: 't', series: series([]), formatY: String }).value).toContain('no data in this range');
    const pts: Point[] = [[T0, 1], [T0 + 3_600_000, 2]];
    const svg = lineChart({
      title: 't', series: series(pts), formatY: String,
      markers: [{ t: T0 + 1_800_000, label: '#7 opened' }, { t: T0 - 1, label: '#6 opened' }],
    }).value;
    expect(svg).toContain('#7 opened');
    expect(svg).not.toContain('#6 opened');
  });
});

describe('sparkline', () => {
  it('draws a polyline of all values, or a dash with fewer than two', () => {
    const svg = sparkline([1, 3, 2], { label: 'x<y' }).value;
    expect(svg).toContain('aria-label="x&lt;y"');
    expect(/points="([^"]+)"/.exec(svg)![1]!.split(' ')).toHaveLength(3);
    expect(sparkline([1], { label: 'x' }).value).not.toContain('<svg');
  });
});

describe('heap floor for the chart', () => {
  /** A GC sawtooth over a floor of 100 MB + 1 MB per sample, GOGC 100. */
  function sawtooth(start: number, n: number, processStart: number, numGC0 = 0): Sample[] {
    return Array.from({ length: n }, (_, k) => {
      const floor = 100e6 + k * 1e6;
      return { t: start + k * 10_000, heapAlloc: floor * (1 + (k % 3) / 3), nextGC: 2 * floor, numGC: numGC0 + Math.floor(k / 3), processStart };
    });
  }

  it('splits at restarts and follows the floor, not HeapAlloc', () => {
    const a = sawtooth(T0, 60, T0 - 1000, 50);
    const b = sawtooth(T0 + 600_000, 60, T0 + 599_000);
    expect(lifetimes([...a, ...b]).map((l) => l.length)).toEqual([60, 60]);
    const pts = heapFloorPoints([...a, ...b], 60 * 60_000, T0 + 1_200_000, 100);
    expect(pts.length).toBeGreaterThan(10);
    for (const [t, v] of pts) {
      const k = Math.round(((t - T0) % 600_000) / 10_000);
      // Within one bucket of samples of the true floor, and far below the HeapAlloc peaks.
      expect(v).toBeGreaterThan(100e6 + (k - 10) * 1e6);
      expect(v).toBeLessThan(100e6 + (k + 10) * 1e6);
    }
    for (let i = 1; i < pts.length; i++) expect(pts[i]![0]).toBeGreaterThan(pts[i - 1]![0]);
  });
});
