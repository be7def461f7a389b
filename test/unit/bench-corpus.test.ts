import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTrace } from '../../src/analyze/trace.js';
import { CLASSES, CLASS_NAMES, PER_CLASS, corpusTrace, setOfSeed, setTraces, type CorpusTrace } from '../bench/corpus.js';
import { recordedNames, recordedTrace } from '../bench/recorded.js';
import type { Sample } from '../../src/model/sample.js';

const HOUR = 3_600_000;
const cache = new Map<string, CorpusTrace>();
function trace(cls: string, seed: number): CorpusTrace {
  const key = `${cls}:${seed}`;
  if (!cache.has(key)) cache.set(key, corpusTrace(cls, seed));
  return cache.get(key)!;
}

/** The live heap around hour `h`: the lowest HeapAlloc within ±30 min (GC leaves only live data). */
function floorAt(samples: readonly Sample[], h: number): number {
  const t0 = samples[0].t;
  let min = Infinity;
  for (const s of samples) if (Math.abs((s.t - t0) / HOUR - h) <= 0.5) min = Math.min(min, s.heapAlloc!);
  return min;
}

function at(samples: readonly Sample[], h: number): Sample {
  return samples[Math.min(samples.length - 1, Math.round((h * HOUR) / 15_000))];
}

const kindOf = (cls: string): string => CLASSES.find((c) => c.name === cls)!.kind;
const seeds = [1, 2, 3, 4];

describe('corpus sets', () => {
  const tuning = setTraces('tuning');
  const validation = setTraces('validation');

  it('hold at least 500 traces each, balanced over the classes', () => {
    expect(tuning.length).toBeGreaterThanOrEqual(500);
    expect(validation.length).toBeGreaterThanOrEqual(500);
    for (const set of [tuning, validation]) {
      for (const cls of CLASS_NAMES) expect(set.filter((t) => t.cls === cls)).toHaveLength(PER_CLASS);
    }
  });

  it('come from disjoint seed spaces', () => {
    const tuningSeeds = new Set(tuning.map((t) => t.seed));
    expect(validation.some((t) => tuningSeeds.has(t.seed))).toBe(false);
    expect(tuning.every((t) => setOfSeed(t.seed) === 'tuning')).toBe(true);
    expect(validation.every((t) => setOfSeed(t.seed) === 'validation')).toBe(true);
  });

  it('keep classes balanced in a smaller sample (--n)', () => {
    const sample = setTraces('validation', 40);
    expect(sample).toHaveLength(40);
    for (const cls of CLASS_NAMES) expect(sample.filter((t) => t.cls === cls)).toHaveLength(2);
    expect(() => setTraces('tuning', 10, 'no-such-class')).toThrow(/unknown class/);
  });
});

describe('corpus traces', () => {
  it.each(CLASS_NAMES.map((cls) => ({ cls })))('$cls: the same class and seed give the same trace, another seed another one', ({ cls }) => {
    const a = trace(cls, 1);
    expect(corpusTrace(cls, 1)).toEqual(a);
    expect(corpusTrace(cls, 2).samples).not.toEqual(a.samples);
  });

  it.each(CLASS_NAMES.map((cls) => ({ cls })))('$cls: 12–48 h at 15 s with its ground truth', ({ cls }) => {
    for (const seed of [1, 2]) {
      const tr = trace(cls, seed);
      expect(tr.hours).toBeGreaterThanOrEqual(12);
      expect(tr.hours).toBeLessThanOrEqual(48);
      expect(tr.samples[1].t - tr.samples[0].t).toBe(15_000);
      expect(tr.kind).toBe(kindOf(cls));
      expect(tr.positive).toBe(tr.kind === 'positive');
      if (tr.kind === 'positive') {
        expect(tr.truth.metric).toBeDefined();
        expect(tr.truth.allowed).toContain(tr.truth.metric);
        expect(tr.truth.rate?.value).toBeGreaterThan(0);
        expect(tr.truth.onsets[0]).toBeGreaterThanOrEqual(0);
        // Room to be caught: at least 8 h of leak after the first onset.
        expect(tr.hours - tr.truth.onsets[0]).toBeGreaterThanOrEqual(8);
      } else {
        expect(tr.truth.metric).toBeUndefined();
        expect(tr.truth.allowed).toEqual([]);
        expect(tr.truth.onsets).toHaveLength(tr.kind === 'bounded' ? 1 : 0);
      }
    }
  });
});

describe('negatives are bounded', () => {
  it.each(['warmup-exp', 'warmup-slow'].map((cls) => ({ cls })))('$cls: the live heap rises early and settles: it moves far less in the last third than in the first', ({ cls }) => {
    for (const seed of seeds) {
      const { samples, hours } = trace(cls, seed);
      const rise = floorAt(samples, hours / 3) - floorAt(samples, 0.5);
      const late = Math.abs(floorAt(samples, hours - 0.5) - floorAt(samples, (2 * hours) / 3));
      expect(rise).toBeGreaterThan(3 * late);
    }
  });

  it.each(['steady', 'idle', 'warmup-exp', 'warmup-slow', 'cycle', 'restarts', 'memlimit-pinned'].map((cls) => ({ cls })))(
    '$cls: the live heap never exceeds its settled level by more than its cycle and noise allow',
    ({ cls }) => {
      for (const seed of seeds) {
        const { samples, hours, baseHeap } = trace(cls, seed);
        for (let h = 0.5; h < hours; h += 1) expect(floorAt(samples, h)).toBeLessThan(1.6 * baseHeap);
      }
    },
  );
});

describe('positives leak from their onset', () => {
  it.each(['heap-leak', 'heap-leak-warmup'].map((cls) => ({ cls })))('$cls: the live heap gains at least half of what the rate says', ({ cls }) => {
    for (const seed of seeds) {
      const tr = trace(cls, seed);
      const onset = tr.truth.onsets[0], end = tr.hours - 0.5;
      const expected = (tr.truth.rate!.value / 100) * tr.baseHeap * (end - onset - 1);
      expect(floorAt(tr.samples, end) - floorAt(tr.samples, onset + 0.5)).toBeGreaterThan(0.5 * expected);
    }
  });

  it('goroutine-leak: goroutines grow at the drawn rate', () => {
    for (const seed of seeds) {
      const tr = trace('goroutine-leak', seed);
      const onset = tr.truth.onsets[0];
      const grown = at(tr.samples, tr.hours).goroutines! - at(tr.samples, onset).goroutines!;
      expect(grown).toBeGreaterThan(0.8 * tr.truth.rate!.value * (tr.hours - onset) - 100);
    }
  });

  it('rss-leak: RSS grows while the heap stays flat', () => {
    for (const seed of seeds) {
      const tr = trace('rss-leak', seed);
      const onset = tr.truth.onsets[0];
      expect(at(tr.samples, tr.hours).rss! / at(tr.samples, onset).rss!).toBeGreaterThan(1 + (0.5 * tr.truth.rate!.value * (tr.hours - onset)) / 100);
      expect(floorAt(tr.samples, tr.hours - 0.5) / floorAt(tr.samples, onset + 0.5)).toBeLessThan(1.1);
    }
  });

  it('memlimit-spiral: GC runs ever more often and takes a growing share of the CPU', () => {
    for (const seed of seeds) {
      const tr = trace('memlimit-spiral', seed);
      const gcPerHour = (h: number): number => at(tr.samples, h + 1).numGC! - at(tr.samples, h).numGC!;
      const onset = tr.truth.onsets[0];
      expect(gcPerHour(tr.hours - 1)).toBeGreaterThan(3 * gcPerHour(onset + 0.5));
      expect(at(tr.samples, tr.hours).gcCPUFraction!).toBeGreaterThan(at(tr.samples, onset + 1).gcCPUFraction!);
      expect(at(tr.samples, tr.hours).nextGC!).toBeLessThanOrEqual(tr.samples[0].gomemlimit ?? Infinity);
    }
  });
});

describe('recorded traces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-recorded-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are read with their sidecar: onset, metric and compressed-time settings', () => {
    const samples = trace('heap-leak', 1).samples.slice(0, 200);
    writeFileSync(join(dir, 'cache-leak.jsonl'), formatTrace(samples));
    writeFileSync(join(dir, 'cache-leak.truth.json'), JSON.stringify({
      positive: true, metric: 'heap', onsetMs: 30_000,
      service: { window: '40s', warmup: '5s', thresholds: { heapGrowth: '100MB/h', goroutineGrowth: 'off' } },
    }));
    writeFileSync(join(dir, 'no-sidecar.jsonl'), formatTrace(samples));
    expect(recordedNames(dir)).toEqual(['cache-leak']);
    const tr = recordedTrace('cache-leak', dir);
    expect(tr.kind).toBe('positive');
    expect(tr.truth).toMatchObject({ metric: 'heap', allowed: ['heap', 'sys', 'rss'] });
    expect(tr.truth.onsets[0] * HOUR).toBeCloseTo(30_000);
    expect(tr.service.window).toBe(40_000);
    expect(tr.service.warmup).toBe(5_000);
    expect(tr.service.thresholds.heapGrowth).toEqual({ value: 100e6, unit: 'bytes' });
    expect(tr.service.thresholds.goroutineGrowth).toBeUndefined();
    expect(tr.samples).toHaveLength(200);
  });

  it('name the trace and the field when a sidecar is wrong', () => {
    writeFileSync(join(dir, 'bad.jsonl'), formatTrace(trace('steady', 1).samples.slice(0, 5)));
    writeFileSync(join(dir, 'bad.truth.json'), JSON.stringify({ positive: false, metric: null, onsetMs: null, service: { window: 'soon' } }));
    expect(() => recordedTrace('bad', dir)).toThrow(/^recorded trace bad: service: expected a duration/);
  });
});
