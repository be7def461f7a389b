import { describe, expect, it } from 'vitest';
import { levelsOff, spanGrows } from '../../src/analyze/assess.js';
import { beyondCurve } from '../../src/analyze/saturation.js';
import { settledStart, steadyPace } from '../../src/analyze/guard.js';
import { replay } from '../../src/analyze/replay.js';
import { recordedTrace } from '../bench/recorded.js';

/** A floor every 2.5 min from uptime `from` to `to` hours, value f(uptime) plus deterministic jitter. */
function floor(from: number, to: number, f: (u: number) => number, jitter = 0): { t: number[]; v: number[]; u: number[] } {
  const t: number[] = [];
  const v: number[] = [];
  for (let u = from, i = 0; u <= to + 1e-9; u += 2.5 / 60, i++) {
    t.push(u);
    // A fixed, zero-mean pattern: the same series every run.
    v.push(f(u) + jitter * Math.sin(i * 2.399963));
  }
  return { t, v, u: [...t] };
}

const MB = 1e6;
const threshold = 0.5 * MB; // 0.5 %/h of 100 MB
const bar = threshold * Math.sqrt(6);

describe('first lifetime: growth that is no warm-up', () => {
  it('a floor that sat flat for an hour after the warm-up, then climbs, started settled', () => {
    const x = floor(0.25, 2.5, (u) => 100 * MB + Math.max(0, u - 1.4) * 10 * MB, 0.2 * MB);
    const s = settledStart(x, bar, 1, 0.25)!;
    expect(s.from).toBeCloseTo(1.25, 5);
    expect(s.pace).toBeLessThan(threshold);
  });

  it('a noisy floor that sat flat started settled too, judged as an hour\'s span is; growth after it must outpace its bound', () => {
    // Five times the jitter: its hour cannot be told from growth at the threshold, only from growth at an hour's bar.
    const x = floor(0.25, 2.5, (u) => 100 * MB + Math.max(0, u - 1.4) * 40 * MB, MB);
    const s = settledStart(x, bar, 1, 0.25)!;
    expect(s.from).toBeCloseTo(1.25, 5);
    expect(s.pace).toBeGreaterThan(threshold);
    expect(s.pace).toBeLessThan(bar);
  });

  it('a warm-up climbing from birth did not start settled', () => {
    const x = floor(0.25, 2.5, (u) => 100 * MB + 60 * MB * (1 - Math.exp(-u / 1.5)), 0.2 * MB);
    expect(settledStart(x, bar, 1, 0.25)).toBeUndefined();
  });

  it('a leak from birth keeps its pace over two hours; exponential and hyperbolic warm-ups slow down', () => {
    const leak = floor(0.25, 2.5, (u) => 100 * MB + u * 8 * MB, 0.3 * MB);
    expect(steadyPace(leak, bar, 1)).toBeDefined();
    for (const tau of [0.5, 1, 2, 3]) {
      const exp = floor(0.25, 2.5, (u) => 100 * MB + 80 * MB * (1 - Math.exp(-u / tau)), 0.3 * MB);
      expect(steadyPace(exp, bar, 1), `exp τ=${tau} h`).toBeUndefined();
      const hyp = floor(0.25, 2.5, (u) => 100 * MB + 80 * MB * (u / (u + tau)), 0.3 * MB);
      expect(steadyPace(hyp, bar, 1), `hyperbolic τ=${tau} h`).toBeUndefined();
    }
  });

  it('a noisy floor gives no verdict of steady pace', () => {
    const noisy = floor(0.25, 2.5, (u) => 100 * MB + u * 2 * MB, 6 * MB);
    expect(steadyPace(noisy, bar, 1)).toBeUndefined();
  });
});

describe('steps in a floor', () => {
  const span = (x: { t: number[]; v: number[] }) =>
    spanGrows({ metric: 'heap', x, from: 0, hours: x.t[x.t.length - 1] - x.t[0], bar: threshold, threshold, noise: () => 0.2 * MB });

  it('one high bucket (a scrape that missed the end of a GC cycle) is not a step', () => {
    const x = floor(0, 6, (u) => 100 * MB + u * 2 * MB);
    x.v[40] += 8 * MB;
    expect(span(x)).toBeDefined();
  });

  it('a level shift carrying the rise is', () => {
    const x = floor(0, 6, (u) => 100 * MB + (u > 3 ? 12 * MB : 0) + u * 0.2 * MB);
    expect(span(x)).toBeUndefined();
  });
});

describe('curves that level off, of three shapes', () => {
  const uptime = Array.from({ length: 160 }, (_, i) => 0.25 + (i * 2.5) / 60);
  // Floor noise of about half a percent of the heap.
  const floorOf = (f: (u: number) => number) => ({ t: uptime, u: uptime, v: uptime.map((u, i) => f(u) + 0.6 * MB * Math.sin(i * 2.399963)) });

  it('exponential, hyperbolic and logarithmic warm-ups level off, though the last two still grow above the threshold', () => {
    expect(levelsOff(floorOf((u) => 100 * MB + 60 * MB * (1 - Math.exp(-u / 1.2))), uptime[0], threshold)).toBe(true);
    expect(levelsOff(floorOf((u) => 100 * MB + 60 * MB * (u / (u + 1.5))), uptime[0], threshold)).toBe(true);
    expect(levelsOff(floorOf((u) => 100 * MB + 20 * MB * Math.log1p(u / 0.8)), uptime[0], threshold)).toBe(true);
  });

  it('a warm-up with a leak on top does not, nor does a leak alone', () => {
    expect(levelsOff(floorOf((u) => 100 * MB + 60 * MB * (1 - Math.exp(-u / 0.8)) + 6 * MB * u), uptime[0], threshold)).toBe(false);
    expect(levelsOff(floorOf((u) => 100 * MB + 6 * MB * u), uptime[0], threshold)).toBe(false);
  });

  it('nor does a leak older than the span tested: a straight line from birth, judged on its last sixth, third or half', () => {
    // 2 MB/h, four times the threshold. Against a line flat before the span, the growth before it
    // looked like a curve's steep start, and the curve took most of the span's growth too.
    const line = floorOf((u) => 100 * MB + 2 * MB * u);
    for (const share of [1 / 6, 1 / 3, 1 / 2]) {
      expect(levelsOff(line, uptime[Math.floor(uptime.length * (1 - share))], threshold * Math.sqrt(1 / share))).toBe(false);
    }
  });
});

describe('a lifetime against an earlier one\'s curve', () => {
  // The earlier lifetime: a cache filling with τ = 1 h, watched from 15 min to 3 h of uptime.
  const earlier = floor(0.25, 3, (u) => 100 * MB + 60 * MB * (1 - Math.exp(-u)), 0.3 * MB);
  const rateBeyond = (f: (u: number) => number, to = 2) => {
    // Jitter of its own, not the earlier lifetime's pattern.
    const x = floor(0.25, to, (u) => f(u) + 0.3 * MB * Math.sin(u * 97));
    return beyondCurve(x.u, x.v, x.u[0], earlier.u, earlier.v);
  };

  it('the same fill, 20 % larger and 30 % slower, leaves nothing growing beyond the curve', () => {
    const fit = rateBeyond((u) => 100 * MB + 72 * MB * (1 - Math.exp(-u / 1.3)))!;
    expect(Math.abs(fit.rate) - 1.645 * fit.rateSe).toBeLessThan(bar);
  });

  it('the same fill with a leak of 8 MB/h on top: the leak is what grows beyond it, once past the steep part', () => {
    // Early in the fill, a slower stretch of the curve explains the leak as well (it is told once the curve bends).
    const early = rateBeyond((u) => 100 * MB + 60 * MB * (1 - Math.exp(-u)) + 8 * MB * u, 1.5)!;
    expect(early.rate - 1.645 * early.rateSe).toBeLessThan(bar);
    const fit = rateBeyond((u) => 100 * MB + 60 * MB * (1 - Math.exp(-u)) + 8 * MB * u, 2.9)!;
    expect(fit.rate - 1.645 * fit.rateSe).toBeGreaterThan(bar);
    expect(fit.rate).toBeGreaterThan(6 * MB);
    expect(fit.rate).toBeLessThan(10 * MB);
  });

  it('says nothing beyond the uptime the earlier lifetime reached, even at its slowest stretch', () => {
    expect(rateBeyond((u) => 100 * MB + 60 * MB * (1 - Math.exp(-u)), 6.5)).toBeUndefined();
  });
});

describe('earlier lifetimes watched from their middle', () => {
  it('a daemon that started 15–30 s into the first lifetime still reads the next lifetimes\' cache fill as the usual warm-up', () => {
    // The real program restarted every minute, filling a 30 MB cache each lifetime (recorded, compressed time).
    const tr = recordedTrace('restarts');
    const first = tr.samples[0].processStart!;
    for (const lateBy of [15, 30]) {
      const seen = tr.samples.filter((s) => s.processStart !== first || s.t - first >= lateBy * 1000);
      expect(replay(seen, tr.service).incidents, `daemon ${lateBy} s late`).toEqual([]);
    }
  });
});
