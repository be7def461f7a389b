import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { topGrowth } from '../../src/profile/attribution.js';
import { decodeProfile } from '../../src/profile/decode.js';
import { compatibilize, diffProfile, isDiffBaseSample } from '../../src/profile/diff.js';
import { mergeProfiles, mergeSources } from '../../src/profile/merge.js';
import { encodeProfile } from '../../src/profile/encode.js';
import { blockingFunction, goroutineGrowth } from '../../src/profile/goroutines.js';
import type { Profile } from '../../src/profile/model.js';
import { formatTop, topReport } from '../../src/profile/top.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/pprof');
const load = (dir: string, file: string): Profile => decodeProfile(readFileSync(join(FIXTURES, dir, file)));

describe('diffProfile', () => {
  for (const dir of ['out119', 'out123']) {
    const base = load(dir, 'base.pb.gz');
    const next = load(dir, 'new.pb.gz');

    it(`${dir}: -top of the written diff equals -top -diff_base`, () => {
      const diff = decodeProfile(encodeProfile(diffProfile(base, next)));
      for (const sampleIndex of ['inuse_space', 'inuse_objects', 'alloc_space']) {
        expect(formatTop(topReport(diff, { sampleIndex }))).toBe(formatTop(topReport(next, { base, sampleIndex })));
      }
    });

    it(`${dir}: base samples are negated and labelled pprof::base=true`, () => {
      const diff = diffProfile(base, next);
      const baseSamples = diff.samples.filter(isDiffBaseSample);
      const sum = (ss: Profile['samples'], i: number): number => ss.reduce((s, x) => s + x.values[i], 0);
      expect(sum(baseSamples, 3)).toBe(-sum(base.samples, 3));
      expect(sum(diff.samples, 3) - sum(baseSamples, 3)).toBe(sum(next.samples, 3));
      expect(baseSamples.every((s) => s.values.every((v) => v <= 0))).toBe(true);
      // NEW's mapping comes first, so the File: header names the new binary.
      expect(diff.mappings[0].file).toBe(next.mappings[0].file);
      expect(diff.timeNanos).toBe(base.timeNanos < next.timeNanos ? base.timeNanos : next.timeNanos);
    });
  }

  it('a profile diffed against itself cancels under -base but not under -diff_base', () => {
    const p = load('out123', 'new.pb.gz');
    expect(topReport(p, { base: p, mode: 'base' }).total).toBe(0);
    expect(topReport(p, { base: p }).rows).toEqual([]);
    expect(topReport(p, { base: p }).total).toBe(topReport(p).total);
  });

  it('leaves its inputs untouched', () => {
    const base = load('out119', 'base.pb.gz');
    const next = load('out119', 'new.pb.gz');
    const before = JSON.stringify([base.samples.map((s) => [s.values, s.labels]), next.samples.map((s) => [s.values, s.labels])]);
    diffProfile(base, next);
    topReport(next, { base, mode: 'base' });
    expect(JSON.stringify([base.samples.map((s) => [s.values, s.labels]), next.samples.map((s) => [s.values, s.labels])])).toBe(before);
  });
});

describe('mergeProfiles and friends', () => {
  it('sums samples with the same stack and labels, and keeps distinct labels apart', () => {
    const p = load('out119', 'new.pb.gz');
    const doubled = mergeProfiles([p, p]);
    expect(doubled.samples.length).toBeLessThanOrEqual(p.samples.length);
    const total = (q: Profile): number => q.samples.reduce((s, x) => s + x.values[1], 0);
    expect(total(doubled)).toBe(2 * total(p));
    expect(mergeSources([{ profile: p }, { profile: p, ratio: -1 }]).samples).toEqual([]);
  });

  it('rejects profiles of different kinds, naming the stage', () => {
    const heap = load('out119', 'new.pb.gz');
    const goroutines = load('out119', 'goroutine.pb.gz');
    expect(() => diffProfile(goroutines, heap)).toThrow(/^merging profiles: /);
    expect(() => topReport(heap, { base: goroutines })).toThrow('profiles have empty common sample type list');
  });

  it('keeps only the sample types both profiles have', () => {
    const heap = load('out119', 'new.pb.gz');
    const narrow: Profile = {
      ...heap,
      sampleTypes: heap.sampleTypes.slice(2),
      samples: heap.samples.map((s) => ({ ...s, values: s.values.slice(2) })),
    };
    const [a, b] = compatibilize([heap, narrow]);
    expect(a.sampleTypes.map((t) => t.type)).toEqual(['inuse_objects', 'inuse_space']);
    expect(b).toBe(narrow);
    expect(topReport(heap, { base: narrow }).rows).toEqual([]);
  });

  it('a heap profile diffs against an allocs profile, whose default type then applies', () => {
    const next = load('out123', 'new.pb.gz');
    const base = load('out123', 'base_allocs.pb.gz');
    expect(topReport(next, { base }).sampleType).toBe('alloc_space');
  });
});

describe('topGrowth', () => {
  it('names the growing functions with byte and object deltas and their share', () => {
    const base = load('out119', 'base.pb.gz');
    const next = load('out119', 'new.pb.gz');
    const growth = topGrowth(base, next);
    const space = topReport(next, { base, sampleIndex: 'inuse_space' });
    const objects = topReport(next, { base, sampleIndex: 'inuse_objects' });
    expect(growth.map((g) => g.function)).toEqual(['main.allocLarge', 'main.mkNode', 'main.allocSmall']);
    const large = growth[0];
    const row = space.rows.find((r) => r.function === 'main.allocLarge')!;
    expect(large.deltaBytes).toBe(row.flat);
    expect(large.cumBytes).toBe(row.cum);
    expect(large.deltaObjects).toBe(objects.allRows.find((r) => r.function === 'main.allocLarge')!.flat);
    expect(large.share).toBeCloseTo(row.flat / space.shownFlat, 12);
    expect(growth[2].deltaBytes).toBeLessThan(0);
    expect(topGrowth(base, next, 1)).toHaveLength(1);
  });

  it('omits the share when the heap shrank overall', () => {
    const base = load('out119', 'base.pb.gz');
    const next = load('out119', 'new.pb.gz');
    const growth = topGrowth(next, base);
    expect(growth[0].deltaBytes).toBeGreaterThan(0);
    expect(growth.every((g) => g.share === undefined)).toBe(true);
  });
});

describe('goroutineGrowth', () => {
  const next = load('out119', 'goroutine.pb.gz');

  it('finds stacks whose goroutine count grew and where they block', () => {
    // The base had only one goroutine parked in main.main.func1, and none in func2.
    const base: Profile = {
      ...next,
      samples: next.samples
        .filter((s) => s.values[0] === 5)
        .map((s) => ({ ...s, values: [1] })),
    };
    const grown = goroutineGrowth(base, next);
    expect(grown[0]).toEqual({
      function: 'main.main.func1',
      delta: 4,
      count: 5,
      stack: ['runtime.gopark', 'runtime.chanrecv', 'runtime.chanrecv1', 'main.main.func1'],
    });
    expect(grown[1]).toMatchObject({ function: 'main.main.func2', delta: 3, count: 3 });
    expect(grown.every((g) => g.delta > 0)).toBe(true);
    expect(goroutineGrowth(base, next, 1)).toHaveLength(1);
  });

  it('reports nothing when no stack grew', () => {
    expect(goroutineGrowth(next, next)).toEqual([]);
  });

  it('blames the first frame outside package runtime, not runtime/pprof or internal/poll', () => {
    expect(blockingFunction(['runtime.gopark', 'runtime.netpollblock', 'internal/poll.runtime_pollWait'])).toBe(
      'internal/poll.runtime_pollWait',
    );
    expect(blockingFunction(['runtime.gopark', 'runtime/pprof.Do'])).toBe('runtime/pprof.Do');
    expect(blockingFunction(['runtime.gopark', 'runtime.main'])).toBe('runtime.gopark');
  });
});
