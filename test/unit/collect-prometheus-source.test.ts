import { describe, expect, it } from 'vitest';
import { parseMatrix, unwrap, withMetricName, type ActiveTarget } from '../../src/collect/prometheus-api.js';
import { admitSample, backfillSlices, samplesByTarget, targetKey } from '../../src/collect/prometheus-source.js';
import { goTargets } from '../../src/discover/prometheus.js';
import { describeInvalid } from '../../src/collect/validate.js';

describe('Prometheus API responses', () => {
  it('a range query becomes each target\'s samples, one per evaluation time, fields in the Sample\'s units', () => {
    const matrix = (metric: string, v: Record<string, [number, string][]>) =>
      parseMatrix({ resultType: 'matrix', result: Object.entries(v).map(([instance, values]) => ({ metric: { __name__: metric, job: 'go', instance }, values })) });
    const byTarget = samplesByTarget([
      { field: 'heapAlloc', factor: 1, series: matrix('go_memstats_heap_alloc_bytes', { 'a:1': [[100, '1000'], [101, '2000']], 'b:1': [[100, '5']] }) },
      { field: 'processStart', factor: 1000, series: matrix('process_start_time_seconds', { 'a:1': [[100, '1700000000.5']] }) },
      // GOMEMLIMIT's "no limit" (MaxInt64) is no limit, not a number to use.
      { field: 'gomemlimit', factor: 1, series: matrix('go_gc_gomemlimit_bytes', { 'a:1': [[100, '9223372036854775807']], 'b:1': [[100, '1e9']] }) },
    ]);
    const a = byTarget.get(targetKey({ job: 'go', instance: 'a:1' })!)!;
    expect(a.map((s) => [s.t, s.heapAlloc, s.processStart, s.gomemlimit])).toEqual([[100_000, 1000, 1_700_000_000_500, undefined], [101_000, 2000, undefined, undefined]]);
    const b = byTarget.get(targetKey({ job: 'go', instance: 'b:1' })!)!;
    expect(b.map((s) => [s.t, s.heapAlloc, s.gomemlimit])).toEqual([[100_000, 5, 1e9]]);
  });

  it('an error envelope carries Prometheus\' own words', () => {
    expect(() => unwrap('{"status":"error","errorType":"bad_data","error":"parse error at char 5"}', 'query_range x')).toThrow('query_range x: bad_data: parse error at char 5');
    expect(() => unwrap('<html>', 'targets')).toThrow('targets: expected a Prometheus API JSON response');
  });

  it('the source\'s match selector becomes the label matcher of every metric query', () => {
    expect(withMetricName('go_goroutines', '{job=~"api|checkout"}')).toBe('go_goroutines{job=~"api|checkout"}');
    expect(withMetricName('go_goroutines', 'up{env="prod"}')).toBe('go_goroutines{env="prod"}');
    expect(withMetricName('go_goroutines', undefined)).toBe('go_goroutines');
  });

  it('discovery keeps the active targets that have Go series, once each, with their labels', () => {
    const active: ActiveTarget[] = [
      { labels: { job: 'go', instance: 'a:1', env: 'prod' }, scrapeUrl: 'http://a:1/metrics', health: 'up' },
      { labels: { job: 'node', instance: 'n:1' }, scrapeUrl: 'http://n:1/metrics', health: 'up' },
      { labels: { job: 'go', instance: 'b:1' }, scrapeUrl: 'http://b:1/metrics', health: 'down' },
    ];
    const series = [{ __name__: 'go_memstats_heap_alloc_bytes', job: 'go', instance: 'a:1' }, { __name__: 'go_memstats_heap_alloc_bytes', job: 'go', instance: 'b:1' }];
    const src = { kind: 'prometheus' as const, url: 'http://p:9090', samples: 'prometheus' as const, timeout: 1000, match: '{job="go"}' };
    expect(goTargets(active, series, src)).toEqual([
      { labels: { job: 'go', instance: 'a:1', env: 'prod' }, source: 'prometheus:http://p:9090', samplesFrom: { url: 'http://p:9090', timeout: 1000, match: '{job="go"}' } },
      { labels: { job: 'go', instance: 'b:1' }, source: 'prometheus:http://p:9090', samplesFrom: { url: 'http://p:9090', timeout: 1000, match: '{job="go"}' } },
    ]);
    expect(goTargets(active, series, { ...src, samples: 'scrape' })[0]).toEqual({ labels: { job: 'go', instance: 'a:1', env: 'prod' }, source: 'prometheus:http://p:9090' });
  });
});

describe('samples from Prometheus go through the validation table', () => {
  const matrix = (metric: string, value: string) =>
    parseMatrix({ resultType: 'matrix', result: [{ metric: { __name__: metric, job: 'go', instance: 'a:1' }, values: [[100, value]] }] });
  const one = (rows: [string, Parameters<typeof samplesByTarget>[0][number]['field'], number, string][]) =>
    samplesByTarget(rows.map(([metric, field, factor, v]) => ({ field, factor, series: matrix(metric, v) }))).get(targetKey({ job: 'go', instance: 'a:1' })!)![0]!;

  it.each<[string, string, string]>([
    ['2^70', String(2n ** 70n), 'go_memstats_heap_alloc_bytes = 1.1805916207174113e+21 (at or above 2^63)'],
    ['a 400-digit number', '9'.repeat(400), 'go_memstats_heap_alloc_bytes = Infinity (infinite or too large)'],
    ['+Inf, as the API spells it', '+Inf', 'go_memstats_heap_alloc_bytes = Infinity (infinite or too large)'],
    ['NaN', 'NaN', 'go_memstats_heap_alloc_bytes = NaN (not a number)'],
    ['1e999', '1e999', 'go_memstats_heap_alloc_bytes = Infinity (infinite or too large)'],
    ['-5', '-5', 'go_memstats_heap_alloc_bytes = -5 (negative)'],
  ])('HeapAlloc = %s is dropped and named, the rest kept', (_name, heap, reason) => {
    const { sample, invalid } = admitSample(one([
      ['go_memstats_heap_alloc_bytes', 'heapAlloc', 1, heap],
      ['go_memstats_sys_bytes', 'sys', 1, '5e8'],
      ['go_goroutines', 'goroutines', 1, '12'],
    ]), 1_800_000_000_000);
    expect(sample).toEqual({ t: 100_000, sys: 5e8, goroutines: 12 });
    expect(describeInvalid('prometheus', invalid)).toBe(`prometheus: dropped 1 invalid value: ${reason}`);
  });

  it('drops both sides of HeapAlloc > Sys and goroutines = 0; rounds a fraction (a downsampled average) and a start time to whole ms', () => {
    const { sample, invalid } = admitSample(one([
      ['go_memstats_heap_alloc_bytes', 'heapAlloc', 1, '200'],
      ['go_memstats_sys_bytes', 'sys', 1, '100'],
      ['go_goroutines', 'goroutines', 1, '0'],
      ['go_memstats_heap_inuse_bytes', 'heapInuse', 1, '12.4'],
      ['process_start_time_seconds', 'processStart', 1000, '1795687742.861759'],
    ]), 1_800_000_000_000);
    expect(sample).toEqual({ t: 100_000, heapInuse: 12, processStart: 1_795_687_742_862 });
    expect(describeInvalid('prometheus', invalid)).toBe('prometheus: dropped 3 invalid values: go_goroutines = 0 (below 1), go_memstats_heap_alloc_bytes (200) is more than go_memstats_sys_bytes (100)');
  });
});

describe('backfill slices', () => {
  it('cover the window once, oldest first, at most the slice size each, both ends included', () => {
    const slices = backfillSlices(1000, 1000 + 15 * 719, 15, 60);
    expect(slices).toHaveLength(12);
    expect(slices[0]).toEqual([1000, 1000 + 15 * 59]);
    const points = slices.flatMap(([a, b]) => Array.from({ length: (b - a) / 15 + 1 }, (_, i) => a + 15 * i));
    expect(points).toEqual(Array.from({ length: 720 }, (_, i) => 1000 + 15 * i));
    expect(backfillSlices(0, 30, 15, 60)).toEqual([[0, 30]]);
  });
});
