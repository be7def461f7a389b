import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScrapeError } from '../../src/collect/errors.js';
import { parsePrometheus } from '../../src/collect/prometheus.js';

const fixture = (f: string): string =>
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../fixtures/collect', f), 'utf8');

/** The shape client_golang v1.20+ writes on Go 1.21+ (defaults plus a `namespace` on the process collector). */
const CLIENT_GOLANG = `# HELP go_gc_duration_seconds A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.6e-05
go_gc_duration_seconds{quantile="1"} 0.000345
go_gc_duration_seconds_sum 0.012345678
go_gc_duration_seconds_count 42
# HELP go_gc_gogc_percent Heap size target percentage configured by the user, otherwise 100.
# TYPE go_gc_gogc_percent gauge
go_gc_gogc_percent 50
# HELP go_gc_gomemlimit_bytes Go runtime memory limit configured by the user, otherwise math.MaxInt64.
# TYPE go_gc_gomemlimit_bytes gauge
go_gc_gomemlimit_bytes 9.223372036854776e+18
# TYPE go_goroutines gauge
go_goroutines 1234
go_info{version="go1.22.12"} 1
go_memstats_alloc_bytes 5.4321e+07
go_memstats_sys_bytes 1.2345678e+08
go_memstats_heap_inuse_bytes 6e+07
go_memstats_last_gc_time_seconds 1.7956877447631178e+09
go_sched_gomaxprocs_threads 8
myapp_process_resident_memory_bytes 9.8304e+07
myapp_process_start_time_seconds 1.79568774286e+09
myapp_process_virtual_memory_max_bytes 1.8446744073709552e+19
`;

describe('parsePrometheus', () => {
  it('reads the recorded /metrics of the Go test target', () => {
    expect(parsePrometheus(fixture('target_metrics.txt'))).toEqual({
      goroutines: 4, heapAlloc: 1302744, totalAlloc: 21278448, sys: 18986248, mallocs: 2755, frees: 1829,
      heapSys: 8060928, heapIdle: 6144000, heapInuse: 1916928, heapReleased: 3489792, heapObjects: 926,
      stackInuse: 327680, stackSys: 327680, mspanInuse: 39744, mspanSys: 81360, mcacheInuse: 2400, mcacheSys: 15600,
      buckHashSys: 1444607, gcSys: 8486800, otherSys: 569273, nextGC: 4194304,
      lastGC: Math.round(1.7956877447631178e9 * 1e9), pauseTotalNs: 1865659, numGC: 6,
      rss: 11669504, processStart: Math.round(1.795687742861759e9 * 1000),
    });
  });

  it('reads client_golang names: GOGC, labels, namespaced process metrics, unit conversion', () => {
    const s = parsePrometheus(CLIENT_GOLANG);
    expect(s).toMatchObject({
      goroutines: 1234, heapAlloc: 54321000, sys: 123456780, heapInuse: 60000000, gogc: 50, numGC: 42,
      pauseTotalNs: 12345678, rss: 98304000, processStart: 1795687742860,
    });
  });

  it('treats GOMEMLIMIT = MaxInt64 as "no limit"', () => {
    expect(parsePrometheus(CLIENT_GOLANG).gomemlimit).toBeUndefined();
    expect(parsePrometheus('go_goroutines 1\ngo_gc_gomemlimit_bytes 1.073741824e+09\n').gomemlimit).toBe(1073741824);
  });

  it('takes the first series of a name and survives labels with spaces, braces and escaped quotes', () => {
    const text = 'go_goroutines{job="a b",x="}\\" {"} 7 1700000000000\ngo_goroutines{job="other"} 9\n';
    expect(parsePrometheus(text)).toEqual({ goroutines: 7 });
  });

  it('skips values that are not finite numbers', () => {
    expect(parsePrometheus('go_goroutines 3\ngo_memstats_sys_bytes NaN\ngo_memstats_heap_alloc_bytes +Inf\n')).toEqual({ goroutines: 3 });
  });

  it.each([
    ['node_exporter output', 'node_load1 0.5\nprocess_resident_memory_bytes 1e+06\n', 'no_go_metrics', /no Go runtime metrics/],
    ['an empty body', '', 'no_go_metrics', /no Go runtime metrics/],
    ['an HTML page', '\n<!doctype html><html><body>Grafana</body></html>', 'bad_format', /got markup/],
  ])('rejects %s', (_name, text, code, reason) => {
    let caught: unknown;
    try {
      parsePrometheus(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ScrapeError);
    expect((caught as ScrapeError).code).toBe(code);
    expect((caught as ScrapeError).message).toMatch(reason);
  });
});
