import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScrapeError } from '../../src/collect/errors.js';
import { parseExpvar } from '../../src/collect/expvar.js';
import { parseGoroutineCount } from '../../src/collect/goroutine-text.js';
import { parseHeapText } from '../../src/collect/heap-text.js';
import type { Sample } from '../../src/model/sample.js';
import type { InvalidValue } from '../../src/collect/validate.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/pprof');
const read = (version: string, file: string): string => readFileSync(join(fixtures, version, file), 'utf8');
const VERSIONS = ['out119', 'out123'];

/** go-formats §5: exact identities of one stop-the-world ReadMemStats. */
function expectMemStatsIdentities(s: Partial<Sample>): void {
  expect(s.sys).toBe(s.heapSys! + s.stackSys! + s.mspanSys! + s.mcacheSys! + s.buckHashSys! + s.gcSys! + s.otherSys!);
  expect(s.heapObjects).toBe(s.mallocs! - s.frees!);
  expect(s.heapSys).toBe(s.heapInuse! + s.heapIdle!);
  expect(s.heapReleased!).toBeLessThanOrEqual(s.heapIdle!);
}

function expectScrapeError(fn: () => unknown, code: string, reason: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ScrapeError);
  expect((caught as ScrapeError).code).toBe(code);
  expect((caught as ScrapeError).message).toMatch(reason);
}

describe('parseHeapText (heap?debug=1 MemStats footer)', () => {
  it('reads every field of the Go 1.19 footer', () => {
    expect(parseHeapText(read('out119', 'new_heap_debug1.txt'))).toEqual({
      heapAlloc: 97527736, totalAlloc: 104045608, sys: 115228952, mallocs: 128920, frees: 1516,
      heapSys: 100335616, heapIdle: 1875968, heapInuse: 98459648, heapReleased: 1843200, heapObjects: 127404,
      stackInuse: 327680, stackSys: 327680, mspanInuse: 1348272, mspanSys: 1350576, mcacheInuse: 2400,
      mcacheSys: 15600, buckHashSys: 1450772, gcSys: 11073424, otherSys: 675284, nextGC: 159472496,
      lastGC: Number('1795686235079304286'), numGC: 6, numForcedGC: 0, gcCPUFraction: 0.00937193977056347,
    });
  });

  it.each(VERSIONS)('%s: the Sys identity and the other exact identities hold', (v) => {
    expectMemStatsIdentities(parseHeapText(read(v, 'new_heap_debug1.txt')));
  });

  it('does not take MaxRSS (a peak) for the current RSS', () => {
    expect(parseHeapText(read('out123', 'new_heap_debug1.txt')).rss).toBeUndefined();
  });

  it('parses only the footer tail, as the collector passes it', () => {
    const text = read('out123', 'new_heap_debug1.txt');
    const tail = text.slice(text.indexOf('# runtime.MemStats'));
    expect(parseHeapText(tail)).toEqual(parseHeapText(text));
  });

  it.each([
    ['no footer', 'heap profile: 1: 2 [3: 4] @ heap/1048576\n', /no "# runtime.MemStats" section/],
    ['a goroutine profile', read('out119', 'goroutine_debug1.txt'), /no "# runtime.MemStats" section/],
    ['a footer without Sys', '# runtime.MemStats\n# Alloc = 1\n# HeapAlloc = 1\n', /no Sys or HeapAlloc/],
  ])('rejects %s', (_name, text, reason) => {
    expectScrapeError(() => parseHeapText(text), 'bad_format', reason);
  });

  it.each<[string, string, Partial<Sample>, InvalidValue[]]>([
    ['a non-numeric value', '# runtime.MemStats\n# Alloc = 1\n# Sys = lots\n', { heapAlloc: 1 }, [{ name: 'Sys', raw: 'lots', reason: 'not a number' }]],
    ['a broken pair', '# runtime.MemStats\n# Sys = 9\n# HeapAlloc = 1\n# Stack = 1 of 2\n', { sys: 9, heapAlloc: 1 }, [
      { name: 'Stack (inuse)', raw: '1 of 2', reason: 'not a number' },
      { name: 'Stack (sys)', raw: '1 of 2', reason: 'not a number' },
    ]],
  ])('drops %s and says why, keeping the rest', (_name, text, values, invalid) => {
    const dropped: InvalidValue[] = [];
    expect(parseHeapText(text, { invalid: dropped })).toEqual(values);
    expect(dropped).toEqual(invalid);
  });
});

describe('parseGoroutineCount (goroutine?debug=1)', () => {
  it.each(VERSIONS)('%s: total equals the sum of the group counts', (v) => {
    const text = read(v, 'goroutine_debug1.txt');
    const sum = [...text.matchAll(/^(\d+) @/gm)].reduce((acc, m) => acc + Number(m[1]), 0);
    expect(parseGoroutineCount(text)).toBe(sum);
    expect(sum).toBe(11);
  });

  it.each([
    ['debug=2 output', read('out119', 'goroutine_debug2.txt')],
    ['an empty body', ''],
    ['a heap profile', read('out119', 'new_heap_debug1.txt')],
  ])('rejects %s', (_name, text) => {
    expectScrapeError(() => parseGoroutineCount(text), 'bad_format', /expected "goroutine profile: total N"/);
  });
});

const MEMSTATS_NAMES: Record<string, keyof Sample> = {
  Alloc: 'heapAlloc', TotalAlloc: 'totalAlloc', Sys: 'sys', Mallocs: 'mallocs', Frees: 'frees', HeapAlloc: 'heapAlloc',
  HeapSys: 'heapSys', HeapIdle: 'heapIdle', HeapInuse: 'heapInuse', HeapReleased: 'heapReleased', HeapObjects: 'heapObjects',
  StackInuse: 'stackInuse', StackSys: 'stackSys', MSpanInuse: 'mspanInuse', MSpanSys: 'mspanSys', MCacheInuse: 'mcacheInuse',
  MCacheSys: 'mcacheSys', BuckHashSys: 'buckHashSys', GCSys: 'gcSys', OtherSys: 'otherSys', NextGC: 'nextGC', LastGC: 'lastGC',
  PauseTotalNs: 'pauseTotalNs', NumGC: 'numGC', NumForcedGC: 'numForcedGC', GCCPUFraction: 'gcCPUFraction',
};

describe('parseExpvar (/debug/vars)', () => {
  it.each(VERSIONS)('%s: every MemStats field equals what JSON.parse reads', (v) => {
    const text = read(v, 'vars.json');
    const memstats = (JSON.parse(text) as { memstats: Record<string, number> }).memstats;
    const parsed = parseExpvar(text);
    for (const [goName, field] of Object.entries(MEMSTATS_NAMES)) expect(parsed[field], goName).toBe(memstats[goName]);
    expect(Object.keys(parsed).sort()).toEqual([...new Set(Object.values(MEMSTATS_NAMES))].sort());
    expectMemStatsIdentities(parsed);
  });

  it('parses integers beyond 2^53 from their digits (nearest double), and drops counters no runtime reaches', () => {
    const dropped: InvalidValue[] = [];
    const parsed = parseExpvar('{"memstats": {"Sys": 1, "HeapAlloc": 1, "TotalAlloc": 18446744073709551615, "LastGC": 1795686235079304286}}', { invalid: dropped });
    expect(parsed.lastGC).toBe(Number(1795686235079304286n));
    expect(parsed.totalAlloc).toBeUndefined();
    expect(dropped).toEqual([{ name: 'memstats.TotalAlloc', raw: '18446744073709551615', reason: 'at or above 2^63' }]);
  });

  it('reads memstats only at the top level, whatever the user vars hold', () => {
    const text = [
      '{',
      '"a\\"memstats": {"memstats": {"Sys": 999}},',
      '"cmdline": ["/bin/x", "-memstats={\\"Sys\\":5}"],',
      '"memstats": {"Sys": 10, "HeapAlloc": 4, "BySize": [{"Size": 0, "Mallocs": 0, "Frees": 0}], "PauseNs": [1, 2], "EnableGC": true, "DebugGC": false},',
      '"zz": null',
      '}',
    ].join('\n');
    expect(parseExpvar(text)).toEqual({ sys: 10, heapAlloc: 4 });
  });

  it.each([
    ['an HTML page', '<!DOCTYPE html><html><title>Login</title></html>', 'bad_format', /expected a JSON object/],
    ['truncated JSON', read('out119', 'vars.json').slice(0, 3000), 'bad_format', /invalid JSON at offset \d+/],
    ['trailing garbage', '{"memstats": {"Sys": 1, "HeapAlloc": 1}} x', 'bad_format', /unexpected data after/],
    ['no memstats', '{"cmdline": ["x"]}', 'bad_format', /no "memstats"/],
    ['memstats without Sys', '{"memstats": {"HeapAlloc": 1}}', 'bad_format', /no Sys or HeapAlloc/],
    ['a string for a number', '{"memstats": {"Sys": "1"}}', 'bad_format', /expected a number/],
    ['an unterminated key', '{"memstats": {"Sys\\"', 'bad_format', /offset 20: unterminated string/],
    ['an array whose last string never ends', '{"cmdline": ["x", "]}', 'bad_format', /offset 12: unterminated array or object/],
  ])('rejects %s', (_name, text, code, reason) => {
    expectScrapeError(() => parseExpvar(text), code, reason);
  });
});
