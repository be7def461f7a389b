import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain, formatExplanation, type Explanation } from '../../src/analyze/explain.js';
import type { Sample } from '../../src/model/sample.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/pprof');
const T = Date.UTC(2026, 10, 26, 10, 30, 0);
const M = 1e6;

/** The MemStats footer of a real heap?debug=1 response (test-local, so explain is checked against the raw file). */
function memStatsOf(version: 'out119' | 'out123'): Sample {
  const text = readFileSync(join(FIXTURES, version, 'new_heap_debug1.txt'), 'utf8');
  const kv = new Map<string, string>();
  for (const m of text.matchAll(/^# (\w+) = (.+)$/gm)) kv.set(m[1], m[2]);
  const n = (k: string) => Number(kv.get(k));
  const pair = (k: string) => kv.get(k)!.split(' / ').map(Number);
  return {
    t: T, heapAlloc: n('HeapAlloc'), heapInuse: n('HeapInuse'), heapIdle: n('HeapIdle'), heapReleased: n('HeapReleased'),
    heapSys: n('HeapSys'), sys: n('Sys'), stackInuse: pair('Stack')[0], stackSys: pair('Stack')[1],
    mspanInuse: pair('MSpan')[0], mspanSys: pair('MSpan')[1], mcacheInuse: pair('MCache')[0], mcacheSys: pair('MCache')[1],
    buckHashSys: n('BuckHashSys'), gcSys: n('GCSys'), otherSys: n('OtherSys'), nextGC: n('NextGC'), numGC: n('NumGC'),
  };
}

/** A consistent MemStats (every identity holds) from the parts a scenario cares about. */
function memStats(p: { live: number; frag?: number; idle?: number; released?: number; stacks?: number; gc?: number; other?: number; rss?: number; goroutines?: number }): Sample {
  const heapInuse = p.live + (p.frag ?? 2 * M);
  const heapReleased = p.released ?? 0;
  const heapIdle = (p.idle ?? 1 * M) + heapReleased;
  const stackSys = p.stacks ?? 0.5 * M;
  const gcSys = p.gc ?? 4 * M;
  const other = p.other ?? 2 * M;
  const s: Sample = {
    t: T, heapAlloc: p.live, heapInuse, heapIdle, heapReleased, heapSys: heapInuse + heapIdle, stackInuse: stackSys,
    stackSys, mspanSys: 0.25 * M, mcacheSys: 0.015 * M, gcSys: gcSys - 0.265 * M, buckHashSys: other / 2, otherSys: other / 2,
    nextGC: 2 * p.live,
  };
  s.sys = s.heapSys! + stackSys + s.mspanSys! + s.mcacheSys! + s.gcSys! + s.buckHashSys! + s.otherSys!;
  if (p.rss !== undefined) s.rss = p.rss;
  if (p.goroutines !== undefined) s.goroutines = p.goroutines;
  return s;
}

function runtimeSum(e: Explanation): number {
  const { nonGo: _, ...runtime } = e.parts;
  return Object.values(runtime).reduce((a, b) => a + b, 0);
}

describe('explain', () => {
  const cases: { desc: string; sample: Sample; profile?: number; says: RegExp[]; saysNot?: RegExp[]; nonGo?: number }[] = [
    {
      desc: 'Go 1.19 fixture: mostly live heap, GC metadata second',
      sample: memStatsOf('out119'),
      says: [/^The Go runtime holds 113 MB \(Sys 115 MB from the OS minus 1.84 MB already released\); RSS is unknown/,
        /97.5 MB is heap objects \(86% of what the runtime holds\)/, /12.4 MB is GC and allocator metadata \(GCSys \+ MSpanSys \+ MCacheSys, 11% of what the runtime holds\)/],
      saysNot: [/idle heap retained/, /outside the Go heap/],
    },
    {
      desc: 'Go 1.23 fixture with RSS below the runtime figure (untouched pages)',
      sample: { ...memStatsOf('out123'), rss: 42_000_000 },
      says: [/RSS is 42 MB/, /61.6 MB of what the runtime holds is not resident .* normal/, /95.8 MB is heap objects/],
      saysNot: [/outside the Go heap/],
      nonGo: 0,
    },
    {
      desc: 'idle memory after a spike',
      sample: memStats({ live: 150 * M, idle: 412 * M, released: 88 * M, rss: 560 * M }),
      says: [/412 MB idle heap retained; the runtime returns it over time or on debug.FreeOSMemory; not a leak/,
        /Sys 659 MB from the OS minus 88 MB already released/],
      saysNot: [/outside the Go heap/],
    },
    {
      desc: 'cgo memory outside the runtime',
      sample: memStats({ live: 200 * M, frag: 10 * M, idle: 20 * M, gc: 8 * M, other: 2 * M, stacks: 0 * M, rss: 540 * M }),
      says: [/RSS exceeds what the Go runtime holds by 300 MB: memory outside the Go heap \(cgo, mmap\)/],
      nonGo: 300 * M,
    },
    {
      desc: 'a few MB of binary text above the runtime figure is normal',
      sample: memStats({ live: 200 * M, frag: 10 * M, idle: 20 * M, gc: 8 * M, other: 2 * M, stacks: 0, rss: 246 * M }),
      says: [/6 MB of RSS lies outside the Go runtime's accounting .* normal/],
      saysNot: [/RSS exceeds/],
      nonGo: 6 * M,
    },
    {
      desc: 'goroutine pile-up shows as stacks',
      sample: memStats({ live: 60 * M, stacks: 410 * M, goroutines: 100_000 }),
      says: [/holds 479 MB \(Sys 479 MB from the OS, none released\)/, /410 MB is goroutine stacks for 100,000 goroutines \(86% of what the runtime holds\); .*goroutine profile/],
    },
    {
      desc: 'heap profile smaller than HeapAlloc: garbage since the last GC',
      sample: memStats({ live: 400 * M }),
      profile: 323 * M,
      says: [/The heap profile accounts for 323 MB as of the last GC; the other 77 MB is garbage allocated since, freed by the next GC \(heap goal 800 MB\)/],
    },
    {
      desc: 'fragmentation dominates',
      sample: memStats({ live: 40 * M, frag: 90 * M }),
      says: [/90 MB is fragmentation \(6\d% of what the runtime holds\)/],
    },
  ];

  it.each(cases)('$desc', ({ sample, profile, says, saysNot, nonGo }) => {
    const e = explain('checkout', sample, profile === undefined ? {} : { liveHeapFromProfile: profile });
    expect(e.service).toBe('checkout');
    expect(e.at).toBe('2026-11-26T10:30:00.000Z');
    expect(e.heldByGo).toBe(sample.sys! - sample.heapReleased!);
    expect(runtimeSum(e)).toBeCloseTo(sample.sys! - sample.heapReleased!, 0);
    for (const v of Object.values(e.parts)) expect(v).toBeGreaterThanOrEqual(0);
    if (nonGo !== undefined) expect(e.parts.nonGo).toBeCloseTo(nonGo, 0);
    if (sample.rss === undefined) expect(e.parts).not.toHaveProperty('nonGo');
    for (const re of says) expect(e.summary).toMatch(re);
    for (const re of saysNot ?? []) expect(e.summary).not.toMatch(re);
    expect(e.summary).toBe(e.notes.join(' '));
  });

  it('splits the Go 1.19 fixture exactly as the MemStats identities say', () => {
    const e = explain('checkout', memStatsOf('out119'));
    expect(e.parts).toEqual({
      liveHeap: 97527736,
      fragmentation: 98459648 - 97527736,
      idleRetained: 1875968 - 1843200,
      stacks: 327680,
      gcMetadata: 11073424 + 1350576 + 15600,
      otherRuntime: 1450772 + 675284,
    });
    expect(e).toMatchObject({ sys: 115228952, heapReleased: 1843200, heldByGo: 115228952 - 1843200 });
  });

  it('names the missing MemStats fields', () => {
    expect(() => explain('checkout', { t: T, rss: 5, heapAlloc: 1 })).toThrow(
      /explaining checkout: the sample at 2026-11-26T10:30:00.000Z lacks sys, heapInuse, heapIdle, heapReleased/,
    );
  });

  it('puts metadata a source did not report into otherRuntime so the parts still add up', () => {
    const s = memStats({ live: 100 * M, rss: 120 * M });
    const { gcSys: _g, mspanSys: _m, mcacheSys: _c, stackSys: _s, ...partial } = s;
    const e = explain('checkout', partial);
    expect(runtimeSum(e)).toBe(s.sys! - s.heapReleased!);
    expect(e.parts.otherRuntime).toBe(s.gcSys! + s.mspanSys! + s.mcacheSys! + s.stackSys! + s.buckHashSys! + s.otherSys!);
  });
});

describe('formatExplanation', () => {
  it('prints a table of the parts and the summary sentences, one a line', () => {
    const e = explain('checkout', memStats({ live: 150 * M, idle: 412 * M, released: 88 * M, rss: 600 * M, goroutines: 1200 }));
    const text = formatExplanation(e);
    const lines = text.split('\n');
    expect(lines[0]).toBe('checkout at 2026-11-26T10:30:00.000Z, 1,200 goroutines');
    expect(text).toMatch(/^ {2}RSS +600 MB$/m);
    expect(text).toMatch(/^ {4}idle, retained +412 MB +7\d%$/m);
    expect(text).toMatch(/^ {2}outside the Go runtime +\S+ MB +\d+(\.\d)?% of RSS$/m);
    for (const note of e.notes) expect(lines).toContain(note);
  });
});
