/**
 * Prometheus text exposition from client_golang's Go and process collectors (go-formats §4.5).
 * Only the series leakwatch uses are read; labels are ignored (the first series of a name wins).
 * Every value goes through the validation table (validate.ts). Pure.
 */
import type { Sample } from '../model/sample.js';
import { ScrapeError } from './errors.js';
import { parseFloatStrict } from './numbers.js';
import type { NumericKey } from './memstats-fields.js';
import { admitInto, type ParseOptions, type Reading } from './validate.js';

/** Metric name -> Sample field and the factor from the metric's unit to the Sample's. */
const GO_METRICS: Record<string, [NumericKey, number]> = {
  go_goroutines: ['goroutines', 1],
  go_memstats_alloc_bytes: ['heapAlloc', 1],
  go_memstats_alloc_bytes_total: ['totalAlloc', 1],
  go_memstats_sys_bytes: ['sys', 1],
  go_memstats_mallocs_total: ['mallocs', 1],
  go_memstats_frees_total: ['frees', 1],
  go_memstats_heap_alloc_bytes: ['heapAlloc', 1],
  go_memstats_heap_sys_bytes: ['heapSys', 1],
  go_memstats_heap_idle_bytes: ['heapIdle', 1],
  go_memstats_heap_inuse_bytes: ['heapInuse', 1],
  go_memstats_heap_released_bytes: ['heapReleased', 1],
  go_memstats_heap_objects: ['heapObjects', 1],
  go_memstats_stack_inuse_bytes: ['stackInuse', 1],
  go_memstats_stack_sys_bytes: ['stackSys', 1],
  go_memstats_mspan_inuse_bytes: ['mspanInuse', 1],
  go_memstats_mspan_sys_bytes: ['mspanSys', 1],
  go_memstats_mcache_inuse_bytes: ['mcacheInuse', 1],
  go_memstats_mcache_sys_bytes: ['mcacheSys', 1],
  go_memstats_buck_hash_sys_bytes: ['buckHashSys', 1],
  go_memstats_gc_sys_bytes: ['gcSys', 1],
  go_memstats_other_sys_bytes: ['otherSys', 1],
  go_memstats_next_gc_bytes: ['nextGC', 1],
  // MemStats.LastGC is ns since the epoch; the metric is seconds.
  go_memstats_last_gc_time_seconds: ['lastGC', 1e9],
  go_gc_duration_seconds_count: ['numGC', 1],
  go_gc_duration_seconds_sum: ['pauseTotalNs', 1e9],
  go_memstats_gc_cpu_fraction: ['gcCPUFraction', 1],
  go_gc_gogc_percent: ['gogc', 1],
  go_gc_gomemlimit_bytes: ['gomemlimit', 1],
};

/** Process collector names; a `namespace` option may prefix them ("myapp_process_..."). */
const PROCESS_METRICS: Record<string, [NumericKey, number]> = {
  process_resident_memory_bytes: ['rss', 1],
  process_start_time_seconds: ['processStart', 1000],
};

/** GOMEMLIMIT's "no limit" is math.MaxInt64, exported as 9.223372036854776e+18. */
const NO_MEMLIMIT = 2 ** 62;

export function parsePrometheus(text: string, opts: ParseOptions = {}): Partial<Sample> {
  if (/^\s*</.test(text.slice(0, 64))) {
    throw new ScrapeError('bad_format', 'expected Prometheus text exposition, got markup (an HTML page?)', { stage: 'metrics' });
  }
  const readings: Reading[] = [];
  const seen = new Set<NumericKey>();
  let goSeen = false;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.length === 0 || line.charCodeAt(0) === 0x23 /* # */) continue;
    const sample = splitSample(line);
    if (!sample) continue;
    const [name, raw] = sample;
    const known = GO_METRICS[name] ?? processMetric(name);
    if (!known) continue;
    const [field, factor] = known;
    if (seen.has(field)) continue;
    seen.add(field);
    // A Go metric with a value we refuse is still a Go metric: the failure is the value, not the exporter.
    if (name.startsWith('go_')) goSeen = true;
    const value = parseFloatStrict(raw) ?? NaN;
    if (field === 'gomemlimit' && value >= NO_MEMLIMIT && Number.isFinite(value)) continue;
    readings.push({ field, name, raw, value: factor === 1 || !Number.isFinite(value) ? value : Math.round(value * factor) });
  }
  if (!goSeen) {
    throw new ScrapeError('no_go_metrics', 'no Go runtime metrics (go_goroutines, go_memstats_*): is this a Go service exporting the default client_golang collectors?', { stage: 'metrics' });
  }
  return admitInto(readings, opts);
}

function processMetric(name: string): [NumericKey, number] | undefined {
  const exact = PROCESS_METRICS[name];
  if (exact) return exact;
  const i = name.indexOf('_process_');
  return i > 0 ? PROCESS_METRICS[name.slice(i + 1)] : undefined;
}

/** "name{labels} value [timestamp]" -> [name, value]; label values may contain spaces and braces. */
function splitSample(line: string): [string, string] | undefined {
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x20 || c === 0x09) break;
    i++;
  }
  const name = line.slice(0, i);
  if (line.charCodeAt(i) === 0x7b) {
    let inString = false;
    for (i++; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (inString) {
        if (c === 0x5c) i++;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7d) break;
    }
    i++;
  }
  const rest = line.slice(i).trim();
  const space = rest.search(/[ \t]/);
  const value = space < 0 ? rest : rest.slice(0, space);
  return name && value ? [name, value] : undefined;
}
