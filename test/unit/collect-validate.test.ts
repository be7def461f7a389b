/**
 * Validation at the edge (issue 15): values no Go runtime can produce are dropped with a reason by
 * the real parsers, and a real scrape of a target serving them stores none of them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExpvar } from '../../src/collect/expvar.js';
import { parseGoroutineCount } from '../../src/collect/goroutine-text.js';
import { parseHeapText } from '../../src/collect/heap-text.js';
import { parsePprofIndex } from '../../src/collect/pprof-index.js';
import { parsePrometheus } from '../../src/collect/prometheus.js';
import { scrapeService } from '../../src/collect/scrape.js';
import { admit, CLOCK_SKEW_MS, describeInvalid, valueProblem, type InvalidValue } from '../../src/collect/validate.js';
import type { ScrapeError } from '../../src/collect/errors.js';
import { SAMPLE_FIELDS, type Sample } from '../../src/model/sample.js';
import { Store } from '../../src/store/index.js';

const DIGITS_400 = '9'.repeat(400);
const TWO_70 = String(2n ** 70n);

/** [what, raw text as a target prints it, the reason it is dropped for]; the same table for every parser. */
const HOSTILE: [string, string, string][] = [
  ['a 400-digit number', DIGITS_400, 'infinite or too large'],
  ['1e999', '1e999', 'infinite or too large'],
  ['-5', '-5', 'negative'],
  ['2^70', TWO_70, 'at or above 2^63'],
  ['a fraction for a byte count', '12.5', 'not a whole number'],
];

describe('the rules', () => {
  it.each<[string, keyof Sample & string, number, string | undefined]>([
    ['NaN', 'heapAlloc', NaN, 'not a number'],
    ['Infinity', 'sys', Infinity, 'infinite or too large'],
    ['-Infinity', 'sys', -Infinity, 'negative infinity'],
    ['-5 bytes', 'heapAlloc', -5, 'negative'],
    ['2^70 bytes', 'heapAlloc', 2 ** 70, 'at or above 2^63'],
    ['2^63 bytes', 'totalAlloc', 2 ** 63, 'at or above 2^63'],
    ['a large real heap', 'heapAlloc', 2 ** 40, undefined],
    ['0 goroutines', 'goroutines', 0, 'below 1'],
    ['10^8 + 1 goroutines', 'goroutines', 1e8 + 1, 'above the 10^8 goroutine cap'],
    ['GCCPUFraction 1.5', 'gcCPUFraction', 1.5, 'above 1'],
    ['GCCPUFraction 0.01', 'gcCPUFraction', 0.01, undefined],
    ['GOGC off (-1)', 'gogc', -1, undefined],
    ['GOGC -2', 'gogc', -2, 'below -1'],
    ['GOGC 1e300', 'gogc', 1e300, 'above 2^31−1'],
    ['GOMEMLIMIT math.MaxInt64', 'gomemlimit', 2 ** 63, undefined],
    ['GOMEMLIMIT 2^64', 'gomemlimit', 2 ** 64, 'above math.MaxInt64'],
    ['a start in 1970', 'processStart', 5_000, 'before the year 2000'],
    ['pid 0', 'pid', 0, 'below 1'],
  ])('%s', (_name, field, value, reason) => {
    expect(valueProblem(field as never, value)).toBe(reason);
  });

  it('refuses times in the future beyond clock skew, and allows the skew', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(valueProblem('processStart', now + CLOCK_SKEW_MS + 1000, { now })).toBe('in the future');
    expect(valueProblem('processStart', now + 1000, { now })).toBeUndefined();
    expect(valueProblem('lastGC', (now + 3_600_000) * 1e6, { now })).toBe('in the future');
    expect(valueProblem('lastGC', 0, { now })).toBeUndefined();
  });

  it('drops both sides of an impossible order (HeapAlloc > Sys), keeping the rest', () => {
    const r = (field: 'heapAlloc' | 'sys' | 'heapInuse' | 'heapSys', value: number) => ({ field, name: field, raw: String(value), value });
    const { values, invalid } = admit([r('heapAlloc', 200), r('sys', 100), r('heapInuse', 50), r('heapSys', 60)]);
    expect(values).toEqual({ heapInuse: 50, heapSys: 60 });
    expect(invalid.map((v) => v.name)).toEqual(['heapAlloc', 'sys']);
    expect(describeInvalid('expvar', invalid)).toBe('expvar: dropped 2 invalid values: heapAlloc (200) is more than sys (100)');
  });

  it('says each thing once and keeps a 400-digit number short', () => {
    const invalid: InvalidValue[] = [{ name: 'Sys', raw: DIGITS_400, reason: 'infinite or too large' }];
    expect(describeInvalid('heap?debug=1', invalid)).toBe('heap?debug=1: dropped 1 invalid value: Sys = 999999999999…(400 chars) (infinite or too large)');
  });
});

const FOOTER = (heapAlloc: string) => `heap profile: 0: 0 [0: 0] @ heap/524288\n\n# runtime.MemStats\n# Alloc = 1000\n# TotalAlloc = 5000\n# Sys = 90000\n# HeapAlloc = ${heapAlloc}\n# HeapSys = 80000\n# NumGC = 3\n# GCCPUFraction = 0.01\n`;
const VARS = (heapAlloc: string) => `{"cmdline": ["x"], "memstats": {"Alloc": ${heapAlloc}, "Sys": 90000, "HeapAlloc": ${heapAlloc}, "HeapSys": 80000, "NumGC": 3}}`;
const METRICS = (v: string) => `go_goroutines 7\ngo_memstats_alloc_bytes ${v}\ngo_memstats_sys_bytes 90000\ngo_memstats_heap_sys_bytes 80000\n`;

describe('the real parsers drop what the table refuses', () => {
  it.each(HOSTILE)('heap?debug=1 with HeapAlloc = %s', (_name, raw, reason) => {
    const dropped: InvalidValue[] = [];
    // Alloc comes first and is valid: HeapAlloc is a second reading of the same field, so write both.
    const parsed = parseHeapText(FOOTER(raw).replace('# Alloc = 1000', `# Alloc = ${raw}`), { invalid: dropped });
    expect(parsed.heapAlloc).toBeUndefined();
    expect(parsed).toMatchObject({ sys: 90000, heapSys: 80000, numGC: 3 });
    expect(dropped).toEqual([{ name: 'Alloc', raw, reason }]);
  });

  it.each(HOSTILE)('expvar with memstats.Alloc = %s', (_name, raw, reason) => {
    const dropped: InvalidValue[] = [];
    const parsed = parseExpvar(VARS(raw), { invalid: dropped });
    expect(parsed.heapAlloc).toBeUndefined();
    expect(parsed).toMatchObject({ sys: 90000, numGC: 3 });
    expect(dropped).toEqual([{ name: 'memstats.Alloc', raw, reason }]);
  });

  it.each([...HOSTILE, ['NaN', 'NaN', 'not a number'], ['+Inf', '+Inf', 'infinite or too large']])('metrics with go_memstats_alloc_bytes = %s', (_name, raw, reason) => {
    const dropped: InvalidValue[] = [];
    const parsed = parsePrometheus(METRICS(raw), { invalid: dropped });
    expect(parsed).toEqual({ goroutines: 7, sys: 90000, heapSys: 80000 });
    expect(dropped).toEqual([{ name: 'go_memstats_alloc_bytes', raw, reason }]);
  });

  it('reports a /metrics full of NaN as invalid values, not as "no Go runtime metrics"', () => {
    const dropped: InvalidValue[] = [];
    const text = ['go_goroutines', 'go_memstats_alloc_bytes', 'go_memstats_sys_bytes', 'go_memstats_next_gc_bytes', 'process_resident_memory_bytes']
      .map((n) => `${n} NaN`).join('\n');
    expect(parsePrometheus(text, { invalid: dropped })).toEqual({});
    expect(dropped).toHaveLength(5);
    expect(describeInvalid('metrics', dropped)).toBe(
      'metrics: dropped 5 invalid values: go_goroutines = NaN (not a number), go_memstats_alloc_bytes = NaN (not a number), ' +
        'go_memstats_sys_bytes = NaN (not a number), go_memstats_next_gc_bytes = NaN (not a number), and 1 more',
    );
  });

  it.each([
    ['a 400-digit count', DIGITS_400, 'infinite or too large'],
    ['2^70', TWO_70, 'above the 10^8 goroutine cap'],
    ['-5', '-5', 'negative'],
  ])('goroutine counts: %s is a failure with its reason, not a value', (_name, raw, reason) => {
    const fromIndex = () => parsePprofIndex(`<tr><td>${raw}</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>`);
    const fromText = () => parseGoroutineCount(`goroutine profile: total ${raw}\n`);
    for (const [stage, parse] of [['pprof index', fromIndex], ['goroutine?debug=1', fromText]] as const) {
      if (stage === 'goroutine?debug=1' && raw.startsWith('-')) continue; // not even the header's shape
      let e: ScrapeError | undefined;
      try {
        parse();
      } catch (err) {
        e = err as ScrapeError;
      }
      expect(e?.code).toBe('invalid_value');
      expect(e?.message).toMatch(new RegExp(`^${stage.replace(/[?]/g, '\\?')}: dropped the goroutine count .* \\(${reason.replace(/\^/g, '\\^')}\\)$`));
    }
  });
});

describe('a real scrape of a target serving impossible values stores none of them', () => {
  let server: http.Server;
  let base = '';
  const bodies: Record<string, string> = {
    '/inf/metrics': `go_goroutines 12\ngo_memstats_alloc_bytes +Inf\ngo_memstats_sys_bytes ${TWO_70}\ngo_memstats_heap_inuse_bytes -5\ngo_memstats_next_gc_bytes ${DIGITS_400}\ngo_memstats_gc_cpu_fraction NaN\nprocess_resident_memory_bytes 1e999\n`,
    '/nan/metrics': ['go_goroutines', 'go_memstats_alloc_bytes', 'go_memstats_sys_bytes'].map((n) => `${n} NaN`).join('\n'),
    '/neg/debug/vars': '{"memstats": {"Alloc": -5, "Sys": 1e999, "HeapAlloc": -5, "TotalAlloc": 1e999, "NumGC": 4, "HeapSys": 100}}',
    '/neg/debug/pprof/': `<tr><td>${DIGITS_400}</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>`,
    '/order/debug/vars': '{"memstats": {"Alloc": 200, "Sys": 100, "HeapAlloc": 200, "HeapSys": 90, "HeapInuse": 95, "NumGC": 4}}',
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const body = bodies[req.url ?? ''];
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(body ?? '404 page not found\n');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  const svc = (over: object) => ({ name: 's', timeout: 2000, maxBodySize: 1 << 20, ...over });

  /** Every stored number is one the table admits. */
  function expectAllValid(s: Sample): void {
    for (const f of SAMPLE_FIELDS) {
      const v = s[f];
      if (v === undefined) continue;
      expect(valueProblem(f, v), `${f} = ${v}`).toBeUndefined();
    }
  }

  it.each<[string, (b: string) => object, Partial<Sample>, (keyof Sample)[], RegExp]>([
    ['Infinity, 2^70, -5, 400 digits and NaN in /metrics', (b) => ({ metrics: `${b}/inf/metrics` }), { goroutines: 12 },
      ['heapAlloc', 'sys', 'heapInuse', 'nextGC', 'gcCPUFraction', 'rss'], /^metrics: dropped 6 invalid values: go_memstats_alloc_bytes = \+Inf \(infinite or too large\), /],
    ['-5 and 1e999 in expvar, a 400-digit goroutine count on the index page', (b) => ({ expvar: `${b}/neg/debug/vars`, pprof: `${b}/neg/debug/pprof` }), { numGC: 4, heapSys: 100 },
      ['heapAlloc', 'sys', 'totalAlloc', 'goroutines'], /^expvar: dropped 3 invalid values: memstats\.Alloc = -5 \(negative\), memstats\.Sys = 1e999 \(infinite or too large\), memstats\.TotalAlloc = 1e999/],
    ['HeapAlloc > Sys and HeapInuse > HeapSys in expvar', (b) => ({ expvar: `${b}/order/debug/vars` }), { numGC: 4 },
      ['heapAlloc', 'sys', 'heapInuse', 'heapSys'], /^expvar: dropped 4 invalid values: memstats\.Alloc \(200\) is more than memstats\.Sys \(100\), memstats\.HeapInuse \(95\) is more than memstats\.HeapSys \(90\)$/],
  ])('%s', async (_name, over, kept, dropped, reason) => {
    const store = Store.open(':memory:');
    const r = await scrapeService(svc(over(base)), undefined, { now: () => Date.UTC(2026, 0, 1) });
    store.recordScrape('s', { at: r.at, ok: r.ok, durationMs: r.durationMs, failures: r.failures, sample: r.sample });
    const stored = store.latestSample('s')!;
    expect(stored).toMatchObject(kept);
    for (const f of dropped) expect(stored[f], f).toBeUndefined();
    expectAllValid(stored);
    const log = store.recentScrapes('s', 1)[0]!;
    expect(log.ok).toBe(true);
    const failures = log.failures as { code: string; reason: string }[];
    expect(failures.some((f) => f.code === 'invalid_value' && reason.test(f.reason)), JSON.stringify(failures)).toBe(true);
    store.close();
  });

  it('stores no sample when /metrics is all NaN, and logs invalid values (not "no Go runtime metrics")', async () => {
    const store = Store.open(':memory:');
    const r = await scrapeService(svc({ metrics: `${base}/nan/metrics` }));
    store.recordScrape('s', { at: r.at, ok: r.ok, durationMs: r.durationMs, failures: r.failures, sample: r.sample });
    expect(store.sampleCount('s')).toBe(0);
    const log = store.recentScrapes('s', 1)[0]!;
    expect(log.ok).toBe(false);
    expect(log.failures).toEqual([
      { source: 'metrics', code: 'invalid_value', reason: 'metrics: dropped 3 invalid values: go_goroutines = NaN (not a number), go_memstats_alloc_bytes = NaN (not a number), go_memstats_sys_bytes = NaN (not a number)' },
    ]);
    store.close();
  });
});
