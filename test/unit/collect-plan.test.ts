/** The scrape plan's choices, the pprof index parser and the streamed MemStats footer. Pure parts only. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScrapeError } from '../../src/collect/errors.js';
import { parseHeapText } from '../../src/collect/heap-text.js';
import { FOOTER_CAP, MemStatsFooter } from '../../src/collect/memstats-footer.js';
import { ScrapePlan } from '../../src/collect/plan.js';
import { parsePprofIndex } from '../../src/collect/pprof-index.js';
import type { ScrapeTarget } from '../../src/collect/target.js';
import { isRestart } from '../../src/model/restart.js';

const here = dirname(fileURLToPath(import.meta.url));
const HEAP_TEXT = readFileSync(join(here, '../fixtures/pprof/out123/new_heap_debug1.txt'));
const INDEX_GO119 = readFileSync(join(here, '../fixtures/collect/pprof_index_go119.html'), 'utf8');

const svc = (over: Partial<ScrapeTarget>): ScrapeTarget => ({ name: 's', timeout: 1000, maxBodySize: 1 << 20, ...over });
const P = 'http://t/debug/pprof';
const E = 'http://t/debug/vars';
const M = 'http://t/metrics';
const MEM = { heapAlloc: 1, sys: 2 };

describe('ScrapePlan: the cheapest source for each field', () => {
  it.each<[string, Partial<ScrapeTarget>, string[]]>([
    ['metrics gives everything', { pprof: P, expvar: E, metrics: M, pid: 1 }, ['proc', 'metrics']],
    ['expvar for MemStats, the index page for the goroutine count', { pprof: P, expvar: E }, ['expvar', 'pprofIndex']],
    ['pprof only: the index page, and heap?debug=1 when due', { pprof: P }, ['pprofIndex', 'heapText']],
    ['expvar only', { expvar: E }, ['expvar']],
  ])('%s', (_name, over, first) => {
    expect(new ScrapePlan().firstRound(svc(over), 0)).toEqual(first);
  });

  it('fetches heap?debug=1 only on its own cadence, a little early for jitter', () => {
    const plan = new ScrapePlan({ heapTextEveryMs: 300_000 });
    const s = svc({ pprof: P });
    expect(plan.firstRound(s, 0)).toEqual(['pprofIndex', 'heapText']);
    plan.record('heapText', 0, MEM);
    expect(plan.firstRound(s, 15_000)).toEqual(['pprofIndex']);
    expect(plan.firstRound(s, 285_000)).toEqual(['pprofIndex']);
    expect(plan.firstRound(s, 299_020)).toEqual(['pprofIndex', 'heapText']);
  });

  it('backs up a failed /metrics in the same scrape, and plans with the backup from then on', () => {
    const plan = new ScrapePlan();
    const s = svc({ pprof: P, expvar: E, metrics: M });
    expect(plan.firstRound(s, 0)).toEqual(['metrics']);
    plan.record('metrics', 0, undefined);
    expect(plan.secondRound(s, 0, new Set(['metrics']), new Set())).toEqual(['expvar', 'pprofIndex']);
    plan.record('expvar', 0, MEM);
    plan.record('pprofIndex', 0, { goroutines: 3 });
    expect(plan.firstRound(s, 15_000)).toEqual(['metrics', 'expvar', 'pprofIndex']);
    // /metrics is back with everything: the backups are dropped again.
    plan.record('metrics', 15_000, { ...MEM, goroutines: 3 });
    expect(plan.firstRound(s, 30_000)).toEqual(['metrics']);
  });

  it('a /metrics without go_memstats_* (a custom registry) is backed up for MemStats only', () => {
    const plan = new ScrapePlan();
    const s = svc({ pprof: P, expvar: E, metrics: M });
    plan.record('metrics', 0, { goroutines: 5 });
    expect(plan.secondRound(s, 0, new Set(['metrics']), new Set(['goroutines']))).toEqual(['expvar']);
    plan.record('expvar', 0, MEM);
    expect(plan.firstRound(s, 15_000)).toEqual(['metrics', 'expvar']);
  });

  it('never plans goroutine?debug=1 while the index page answers', () => {
    const plan = new ScrapePlan();
    const s = svc({ pprof: P });
    const all = [...plan.firstRound(s, 0), ...plan.secondRound(s, 0, new Set(), new Set())];
    expect(all.every((f) => ['pprofIndex', 'heapText'].includes(f))).toBe(true);
  });

  it('reads the goroutine count from goroutine?debug=1 at the slow cadence only when there is no index page', () => {
    const plan = new ScrapePlan({ heapTextEveryMs: 300_000 });
    const s = svc({ pprof: P, expvar: E });
    plan.record('expvar', 0, MEM);
    plan.record('pprofIndex', 0, undefined);
    expect(plan.secondRound(s, 0, new Set(['expvar', 'pprofIndex']), new Set(['memstats']))).toEqual(['goroutineText']);
    plan.record('goroutineText', 0, { goroutines: 7 });
    expect(plan.firstRound(s, 15_000)).toEqual(['expvar', 'pprofIndex']);
    expect(plan.firstRound(s, 300_000)).toEqual(['expvar', 'pprofIndex', 'goroutineText']);
  });

  it('compares restarts with the last known NumGC even when the samples between had none', () => {
    const plan = new ScrapePlan();
    plan.remember({ t: 0, numGC: 40, heapAlloc: 1 });
    plan.remember({ t: 15, goroutines: 9 });
    // A new process: NumGC went back, seen at the next heap?debug=1 sample.
    const next = { t: 300, numGC: 2, heapAlloc: 1 };
    expect(isRestart(plan.lastKnown, next)).toBe(true);
    plan.remember({ ...next, restart: true });
    plan.remember({ t: 315, goroutines: 9 });
    expect(isRestart(plan.lastKnown, { t: 600, numGC: 5 })).toBe(false);
  });
});

describe('parsePprofIndex', () => {
  it("reads the goroutine row of Go 1.19's index page", () => {
    expect(parsePprofIndex(INDEX_GO119)).toBe(4);
  });

  it('reads the older template layout', () => {
    expect(parsePprofIndex('<table>\n<tr>\n<td>17</td><td><a href=goroutine?debug=1>goroutine</a></td>\n</tr>')).toBe(17);
  });

  it.each([
    ['a login page', '<html><head><title>Sign in - Corp SSO</title></head></html>', /^pprof index: expected the net\/http\/pprof index page with a goroutine count; got "Sign in - Corp SSO"$/],
    ['an index without the goroutine row', 'Types of profiles available:\n<table></table>', /; the page has no goroutine row$/],
  ])('rejects %s', (_name, text, reason) => {
    expect(() => parsePprofIndex(text)).toThrow(reason);
  });
});

describe('MemStatsFooter: the footer of a streamed heap?debug=1', () => {
  it.each([1, 7, 17, 18, 19, 4096, 65536])('finds the marker across chunks of %i bytes', (size) => {
    const f = new MemStatsFooter();
    for (let i = 0; i < HEAP_TEXT.length; i += size) f.push(HEAP_TEXT.subarray(i, i + size));
    expect(parseHeapText(f.text())).toEqual(parseHeapText(HEAP_TEXT.toString('utf8')));
    expect(f.text().startsWith('# runtime.MemStats\n')).toBe(true);
  });

  it('keeps nothing of a body without the footer', () => {
    const f = new MemStatsFooter();
    f.push(Buffer.alloc(100_000, 0x23));
    expect(f.text()).toBe('');
  });

  it('refuses a "footer" larger than any Go writes', () => {
    const f = new MemStatsFooter();
    f.push(Buffer.from('# runtime.MemStats\n'));
    let e: unknown;
    try {
      f.push(Buffer.alloc(FOOTER_CAP, 0x41));
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(ScrapeError);
    expect((e as ScrapeError).message).toBe('heap?debug=1: the runtime.MemStats section passed 65.5 KB (a Go footer is about 11 KB)');
  });
});
