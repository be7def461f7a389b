import { describe, expect, it } from 'vitest';
import { replay } from '../../src/analyze/replay.js';
import { minusTraffic, takesOutSpread, trafficExplainer, trafficFit, withoutTraffic } from '../../src/analyze/traffic.js';
import type { Series } from '../../src/analyze/history.js';
import { fitTrend } from '../../src/analyze/trend.js';
import { heapCarries } from '../../src/analyze/evidence.js';
import type { FloorSeries, RateSeries } from '../../src/analyze/series.js';
import { Rng, T0, benchService } from '../bench/scenarios.js';
import { corpusTrace } from '../bench/corpus.js';
import type { Sample } from '../../src/model/sample.js';

const HOUR = 3_600_000;
const MB = 1e6;
const STEP = 15_000;

/** AR(1) traffic wander around 1 with sd `sd` and a 10-minute correlation time. */
function wander(rng: Rng, sd: number): () => number {
  const a = Math.exp(-STEP / (10 * 60_000));
  let x = 0;
  return () => (x = a * x + sd * Math.sqrt(1 - a * a) * rng.normal());
}

/**
 * A service whose live heap holds 6% of its base in in-flight data, proportional to traffic;
 * traffic wanders and, in the last hour, rises by 50% (the morning). The live heap floor then
 * rises ~3%/h, faster than the 1 h span's bar. `allocFollowsTraffic`: whether TotalAlloc sees it.
 */
function morningTrace(allocFollowsTraffic: boolean, seed: number): Sample[] {
  return trafficTrace({
    hours: 6, seed, liveNoise: 0.0005, allocNoise: 0.1,
    traffic: (rng) => {
      const noise = wander(rng, 0.05);
      return (h) => 1 + 0.5 * Math.max(0, h - 5) + noise();
    },
    live: (_h, traffic) => 300 * MB * (1 + 0.06 * traffic),
    allocRate: (traffic) => 10 * MB * (allocFollowsTraffic ? traffic : 1),
  });
}

/**
 * 15 s samples, GOGC 100: at hour h, the traffic (made once per trace from its random stream), the
 * live heap and the allocation rate (bytes/s) it brings, each scrape with relative noise.
 */
function trafficTrace(o: {
  hours: number; seed: number; liveNoise: number; allocNoise: number;
  traffic: (rng: Rng) => (h: number) => number; live: (h: number, traffic: number) => number; allocRate: (traffic: number) => number;
}): Sample[] {
  const rng = new Rng(o.seed);
  const trafficAt = o.traffic(rng);
  const out: Sample[] = [];
  let numGC = 0;
  let totalAlloc = 0;
  for (let t = T0; t <= T0 + o.hours * HOUR; t += STEP) {
    const h = (t - T0) / HOUR;
    const traffic = trafficAt(h);
    const live = o.live(h, traffic) * (1 + o.liveNoise * rng.normal());
    totalAlloc += o.allocRate(traffic) * (STEP / 1000) * (1 + o.allocNoise * rng.normal());
    numGC += 3;
    out.push({
      t, heapAlloc: Math.round(live * (1 + rng.next())), nextGC: Math.round(2 * live), gogc: 100, numGC,
      totalAlloc: Math.round(totalAlloc), sys: Math.round(live * 2.3), rss: Math.round(live * 2.1),
      goroutines: Math.round(100 + 3 * rng.normal()), processStart: T0,
    });
  }
  return out;
}

describe('traffic-explained heap growth', () => {
  const service = benchService('unit');

  it.each([1, 2, 3])('a heap floor rising with the allocation rate is in-flight data, not a leak (seed %i)', (seed) => {
    expect(replay(morningTrace(true, seed), service).incidents).toEqual([]);
  });

  it.each([1, 2, 3])('the same rise without more allocation opens a heap incident (seed %i)', (seed) => {
    const opened = replay(morningTrace(false, seed), service).incidents.map((i) => i.metric);
    expect(opened).toContain('heap');
  });
});

/** Bucketed series: heap = base + coef × true rate + leak; the observed rate carries measurement noise. */
function series(opts: { coef: number; leakPerHour: number; rateTrendPerHour: number; seed: number }): { heap: FloorSeries; rate: RateSeries } {
  const rng = new Rng(opts.seed);
  const a = Math.exp(-5 / 10);
  let x = 0;
  const heap: FloorSeries = { t: [], v: [] };
  const rate: RateSeries = { t: [], v: [], variance: [] };
  const noiseSd = 0.4 * MB;
  for (let i = 0; i < 72; i++) {
    const t = (i + 0.5) / 12;
    x = a * x + MB * Math.sqrt(1 - a * a) * rng.normal();
    const trueRate = 10 * MB + opts.rateTrendPerHour * t + x;
    heap.t.push(t);
    heap.v.push(300 * MB + opts.coef * trueRate + opts.leakPerHour * t + 0.05 * MB * rng.normal());
    rate.t.push(t);
    rate.v.push(trueRate + noiseSd * rng.normal());
    rate.variance.push(noiseSd ** 2);
  }
  return { heap, rate };
}

describe('trafficFit', () => {
  it.each([1, 2, 3, 4])('recovers the heap per allocation rate from short co-movements, not biased by proxy noise (seed %i)', (seed) => {
    const { heap, rate } = series({ coef: 2, leakPerHour: 0, rateTrendPerHour: 0, seed });
    const fit = trafficFit(heap, rate, 1)!;
    expect(fit.reliability).toBeLessThan(0.95);
    expect(fit.coef).toBeGreaterThan(1.6);
    expect(fit.coef).toBeLessThan(2.4);
  });

  it('does not let a leak that coincides with rising traffic explain itself away', () => {
    // No co-movement at all, but both rise over the window: nothing is explained.
    const { heap, rate } = series({ coef: 0, leakPerHour: 6 * MB, rateTrendPerHour: 3 * MB, seed: 5 });
    expect(trafficExplainer(heap, () => rate, 1)(0)).toBe(0);
  });

  it('explains the slope traffic carries over a span, and never a negative one', () => {
    const rising = series({ coef: 2, leakPerHour: 0, rateTrendPerHour: 3 * MB, seed: 6 });
    const explained = trafficExplainer(rising.heap, () => rising.rate, 1)(3);
    expect(explained).toBeGreaterThan(4 * MB);
    expect(explained).toBeLessThan(8 * MB);
    const falling = series({ coef: 2, leakPerHour: 0, rateTrendPerHour: -3 * MB, seed: 6 });
    expect(trafficExplainer(falling.heap, () => falling.rate, 1)(3)).toBe(0);
  });
});

/**
 * A slow traffic cycle (16 h, ±40 %, starting at its trough) over a 200 MB heap whose in-flight
 * data is a fifth of it at mean traffic, with little allocation (its per-scrape rates too noisy
 * for the explainer to learn from an hour's co-movements), plus a leak of `leakPct` %/h from hour 4.
 */
function slowCycleTrace(leakPct: number, seed: number): Sample[] {
  return trafficTrace({
    hours: 14, seed, liveNoise: 0.001, allocNoise: 0.5,
    traffic: () => (h) => 1 - 0.4 * Math.cos((2 * Math.PI * h) / 16),
    live: (h, traffic) => 200 * MB * (0.8 + 0.2 * traffic + (leakPct / 100) * Math.max(0, h - 4)),
    allocRate: (traffic) => 0.5 * MB * traffic,
  });
}

describe('before a day of history: growth rising traffic could explain', () => {
  const service = benchService('unit');

  it.each([1, 2])('a floor rising with traffic over its 8 h rise, no faster, opens nothing (seed %i)', (seed) => {
    expect(replay(slowCycleTrace(0, seed), service).incidents).toEqual([]);
  });

  it.each([1, 2])('a leak rising faster than traffic could raise the floor opens a heap incident (seed %i)', (seed) => {
    const opened = replay(slowCycleTrace(15, seed), service).incidents.filter((i) => i.metric === 'heap');
    expect(opened.length).toBe(1);
    expect((Date.parse(opened[0].openedAt) - T0) / HOUR).toBeLessThan(7);
  });
});

/**
 * Traffic on an 8 h cycle (±60 %) with wander, over a 300 MB heap whose in-flight data, a quarter
 * of it at mean traffic, follows traffic: the floor swings ±15 %. From hour 7, where traffic has
 * begun to fall, a leak of `leakPct` %/h of the base.
 */
function cycleTrace(leakPct: number, seed: number, hours = 16, leakUntil = Infinity): Sample[] {
  return trafficTrace({
    hours, seed, liveNoise: 0.001, allocNoise: 0.1,
    traffic: (rng) => {
      const noise = wander(rng, 0.1);
      return (h) => 1 + 0.6 * Math.sin((2 * Math.PI * (h - 5)) / 8) + noise();
    },
    live: (h, traffic) => 300 * MB * (0.75 + 0.25 * traffic + (leakPct / 100) * Math.max(0, Math.min(h, leakUntil) - 7)),
    allocRate: (traffic) => 10 * MB * traffic,
  });
}

/** Bucketed floor of a slow cycle the allocation rate follows, as a detector Series: heap = base + coef × rate + leak. */
function cycleSeries(opts: { coef: number; leakPerHour: number; seed: number }): { heap: Series; rate: RateSeries } {
  const { heap: h, rate } = series({ ...opts, rateTrendPerHour: 0 });
  // A cycle of the true rate (6 h, ±4 MB/s) the floor follows by coef.
  const swing = h.t.map((t) => 4 * MB * Math.sin((2 * Math.PI * t) / 6));
  const heap: Series = { origin: 0, t: h.t, v: h.v.map((v, i) => v + opts.coef * swing[i]), u: h.t, b: h.t.map((_, i) => i) };
  return { heap, rate: { ...rate, v: rate.v.map((v, i) => v + swing[i]) } };
}

describe('the floor judged with traffic taken out', () => {
  const service = benchService('unit');

  it('takes a cycle the allocation rate follows out of the floor, leaving the leak', () => {
    const { heap, rate } = cycleSeries({ coef: 2, leakPerHour: 2 * MB, seed: 7 });
    const without = withoutTraffic(heap, rate, 1, 3)!;
    expect(without).toBeDefined();
    expect(takesOutSpread(heap, without.x, 3)).toBe(true);
    const t = without.x.t.filter((x) => x >= 3);
    const slope = fitTrend(t, without.x.v.slice(-t.length)).slope;
    expect(slope).toBeGreaterThan(1.5 * MB);
    expect(slope).toBeLessThan(2.5 * MB);
  });

  it('leaves alone a floor that does not follow traffic', () => {
    const { heap, rate } = cycleSeries({ coef: 0, leakPerHour: 2 * MB, seed: 7 });
    const without = withoutTraffic(heap, rate, 1, 3);
    expect(without === undefined || !takesOutSpread(heap, without.x, 3)).toBe(true);
  });

  // Generated traces (the corpus' validation set, which counts as tuning data since a decision was made on it).
  const incidentsOf = (cls: string, seed: number): string[] => {
    const tr = corpusTrace(cls, seed);
    return replay(tr.samples, tr.service).incidents.map((i) => `${i.metric}@${((Date.parse(i.openedAt) - tr.samples[0].t) / HOUR).toFixed(2)}h`);
  };

  it('a lifetime warming up under a traffic cycle is a warm-up, though with traffic taken out it reads otherwise', () => {
    // 10 lifetimes, each filling along a capped logarithm for ~5 h, under a 6.7 h cycle of ±78 % traffic.
    expect(incidentsOf('mixed', 1000004)).toEqual([]);
  });

  it('traffic must take out half the floor\'s spread: a wide cycle it takes out less of is judged as it is', () => {
    // One lifetime under a 14 h cycle of ±80 % traffic, allocating 67 kB/s: a GC every ~45 min, so
    // the floor follows slow swings in full but fast co-movements only in part.
    expect(incidentsOf('mixed', 1000022)).toEqual([]);
  });

  it.each([1, 2])('a traffic cycle alone opens nothing (seed %i)', (seed) => {
    expect(replay(cycleTrace(0, seed), service).incidents).toEqual([]);
  });

  it.each([1, 2])('a 2 %/h leak while the cycle falls opens a heap incident within 7 h (seed %i)', (seed) => {
    // Traffic falls from hour 7 to 11, then rises: from there, before a day of history, the leak
    // must outgrow the traffic's rise over the span judged (at least 2 h) to be told from the cycle.
    const opened = replay(cycleTrace(2, seed), service).incidents.filter((i) => i.metric === 'heap');
    expect(opened.length).toBe(1);
    expect((Date.parse(opened[0].openedAt) - T0) / HOUR - 7).toBeLessThan(7);
  });

  it.each([1, 3, 4])('a 1 %/h leak under the same cycle opens a heap incident within 6.5 h (seed %i)', (seed) => {
    // Half the leak above, twice the threshold: found only because traffic is taken out at its
    // coefficient moved one standard error against the leak. Moved two, seed 1 opened nothing in
    // 13 h, seeds 3 and 4 after 6.7 and 7.0 h. The trace ends at the deadline (replay is causal).
    const opened = replay(cycleTrace(1, seed, 7 + 6.5), service).incidents.filter((i) => i.metric === 'heap');
    expect(opened.length).toBeGreaterThanOrEqual(1);
    expect((Date.parse(opened[0].openedAt) - T0) / HOUR - 7).toBeLessThan(6.5);
  });
});

describe('a leak under a traffic cycle', () => {
  const service = benchService('unit');

  it.each([1, 2, 3])('stays open while the cycle falls and the leak goes on (seed %i)', (seed) => {
    // An 8 h cycle of ±60 % traffic: the floor falls for hours at a time, the leak under it does not
    // stop. Judged on the floor alone, each seed's incident resolved in the falls at ~17 h and ~26 h.
    const heap = replay(cycleTrace(2, seed, 30), service).incidents.filter((i) => i.metric === 'heap');
    expect(heap.map((i) => ({ resolvedAt: i.resolvedAt, reason: i.resolveReason }))).toEqual([{ resolvedAt: null, reason: undefined }]);
  });

  it('resolves once the leak under it stops, cycle or not', () => {
    // The same leak stops at hour 15: the floor without traffic's share stops growing with it.
    const heap = replay(cycleTrace(2, 1, 30, 15), service).incidents.filter((i) => i.metric === 'heap');
    expect(heap.length).toBe(1);
    expect(heap[0].resolveReason).toBe('growth-stopped');
    expect((Date.parse(heap[0].resolvedAt!) - T0) / HOUR).toBeLessThan(22);
  });
});

describe('minusTraffic', () => {
  it.each([1, 2, 3])('takes out a bucket rate\'s own noise with it only in part: the rate is averaged with its neighbours (seed %i)', (seed) => {
    // Buckets every 2.5 min, the true rate wandering on a 10 min scale; each bucket's rate measured with 0.8 MB/s noise.
    const rng = new Rng(seed);
    const a = Math.exp(-2.5 / 10);
    let w = 0;
    const heap: Series = { origin: 0, t: [], v: [], u: [], b: [] };
    const rate: RateSeries = { t: [], v: [], variance: [] };
    for (let i = 0; i < 144; i++) {
      const t = i / 24;
      w = a * w + MB * Math.sqrt(1 - a * a) * rng.normal();
      heap.t.push(t); heap.u.push(t); heap.b.push(i);
      heap.v.push(300 * MB + 2 * (10 * MB + w));
      rate.t.push(t);
      rate.v.push(10 * MB + w + 0.8 * MB * rng.normal());
      rate.variance.push((0.8 * MB) ** 2);
    }
    const left = minusTraffic(heap, rate, 2).v;
    const mid = [...left].sort((x, y) => x - y)[72];
    const spread = [...left.map((v) => Math.abs(v - mid))].sort((x, y) => x - y)[72];
    // Subtracting each bucket's own rate would leave 2 × 0.8 MB/s × 0.674 ≈ 1.08 MB of spread.
    expect(spread).toBeLessThan(0.85 * MB);
  });
});

describe('RSS growth the heap floor carries', () => {
  // Floors every 2.5 min over 2 h, with a little deterministic noise.
  const floor = (f: (h: number) => number) => {
    const t = Array.from({ length: 49 }, (_, i) => (i * 2.5) / 60);
    return { t, v: t.map((h, i) => f(h) * (1 + 0.002 * Math.sin(i * 2.399963))) };
  };

  it('is the heap\'s where the heap floor rises with it: as fast as a share of its level, and by a good part of its bytes', () => {
    // A 130 MB floor rising 26 MB/h under a 330 MB RSS rising 53 MB/h (the GC goal doubles the heap's footprint).
    expect(heapCarries(floor((h) => 130 * MB + 26 * MB * h), floor((h) => 330 * MB + 53 * MB * h), 0)).toBe(true);
  });

  it('is not where a heap of a few MiB rises by a share while RSS grows by tens of MiB outside it', () => {
    // The heap floor of a program mapping memory outside the heap: 2 MB rising by half in an hour
    // (as a share, faster than half RSS's), 1 MB/h; RSS 40 MB rising 30 MB/h.
    expect(heapCarries(floor((h) => 2 * MB * (1 + 0.5 * h)), floor((h) => 40 * MB + 30 * MB * h), 0)).toBe(false);
  });

  it('is not where the heap floor is flat', () => {
    expect(heapCarries(floor(() => 130 * MB), floor((h) => 330 * MB + 53 * MB * h), 0)).toBe(false);
  });
});
