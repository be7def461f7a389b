/**
 * Traces recorded from real Go programs, replayed by `bench:detect` next to the generated corpus:
 * every `test/fixtures/traces/NAME.jsonl` (the trace format of design §3) that has a sidecar
 * `NAME.truth.json` next to it. Recordings usually run in compressed time, so the sidecar carries
 * the service settings they need:
 *
 *   {
 *     "positive": true,                 // a leak runs in this recording
 *     "metric": "heap",                 // "heap" | "goroutines" | "rss" | "sys", null when negative
 *     "onsetMs": 12000,                 // leak onset: ms since the first sample (values >= 1e12
 *                                       // are read as Unix ms); null when negative
 *     "allowed": ["heap", "sys", "rss"],// optional: metrics an incident may name after the onset
 *                                       // (default by metric: heap → heap, sys, rss; goroutines →
 *                                       // goroutines, heap, sys, rss; rss → rss; sys → sys, rss)
 *     "service": {
 *       "window": "40s", "warmup": "5s", "cooldown": "20s",   // durations as in leakwatch.yaml
 *       "thresholds": { "heapGrowth": "100MB/h", "rssGrowth": "300MB/h", "goroutineGrowth": "off" }
 *     }                                 // thresholds as in leakwatch.yaml: rates or "off";
 *   }                                   // a key left out keeps the built-in default
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseTrace } from '../../src/analyze/trace.js';
import type { ServiceConfig } from '../../src/config/schema.js';
import { BUILTIN_DEFAULTS } from '../../src/config/schema.js';
import { parseDuration, parseRate } from '../../src/format/units.js';
import { METRICS, type Metric } from '../../src/model/incident.js';
import type { CorpusTrace } from './corpus.js';
import { benchService } from './simulate.js';
import { ROOT } from './paths.js';

export const RECORDED_DIR = join(ROOT, 'test/fixtures/traces');

const THRESHOLD_KEYS = ['heapGrowth', 'sysGrowth', 'rssGrowth', 'goroutineGrowth'] as const;
const DEFAULT_ALLOWED: Record<Metric, Metric[]> = {
  heap: ['heap', 'sys', 'rss'],
  goroutines: ['goroutines', 'heap', 'sys', 'rss'],
  rss: ['rss'],
  sys: ['sys', 'rss'],
};

/** Names of the recorded traces that have a sidecar (without `.jsonl`). */
export function recordedNames(dir = RECORDED_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl') && existsSync(join(dir, f.replace(/\.jsonl$/, '.truth.json'))))
    .map((f) => basename(f, '.jsonl'))
    .sort();
}

function fail(name: string, message: string): never {
  throw new Error(`recorded trace ${name}: ${message}`);
}

/** Loads one recorded trace and its sidecar as a corpus trace (kind positive or negative). */
export function recordedTrace(name: string, dir = RECORDED_DIR): CorpusTrace {
  const samples = parseTrace(readFileSync(join(dir, `${name}.jsonl`), 'utf8'));
  if (samples.length === 0) fail(name, 'no samples');
  const side = JSON.parse(readFileSync(join(dir, `${name}.truth.json`), 'utf8')) as Record<string, unknown>;
  const positive = side.positive === true;
  const metric = side.metric ?? null;
  if (metric !== null && !METRICS.includes(metric as Metric)) fail(name, `metric: expected one of ${METRICS.join(', ')} or null`);
  if (positive && (metric === null || typeof side.onsetMs !== 'number')) fail(name, 'a positive trace needs metric and onsetMs');
  const start = samples[0].t;
  const onsetMs = typeof side.onsetMs === 'number' ? (side.onsetMs >= 1e12 ? side.onsetMs : start + side.onsetMs) : undefined;
  const allowed = Array.isArray(side.allowed) ? (side.allowed as Metric[]) : metric ? DEFAULT_ALLOWED[metric as Metric] : [];
  const hours = (samples[samples.length - 1].t - start) / 3_600_000;
  // Peers scale their relative thresholds by the service's usual heap: the median HeapAlloc.
  const heaps = samples.map((s) => s.heapAlloc).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return {
    shape: `recorded:${name}`, seed: 0, kind: positive ? 'positive' : 'negative', positive, samples,
    service: recordedService(name, side.service), hours, days: hours / 24, baseHeap: heaps[heaps.length >> 1] ?? 0,
    truth: {
      ...(positive ? { metric: metric as Metric } : {}),
      onsets: onsetMs === undefined ? [] : [(onsetMs - start) / 3_600_000], allowed, restarts: [],
    },
    params: {},
  };
}

function recordedService(name: string, raw: unknown): ServiceConfig {
  const svc = benchService(name);
  const s = (raw ?? {}) as Record<string, unknown>;
  try {
    if (s.window !== undefined) svc.window = parseDuration(s.window as string);
    if (s.warmup !== undefined) svc.warmup = parseDuration(s.warmup as string);
    if (s.cooldown !== undefined) svc.cooldown = parseDuration(s.cooldown as string);
    const thresholds: ServiceConfig['thresholds'] = { ...BUILTIN_DEFAULTS.thresholds };
    for (const [key, value] of Object.entries((s.thresholds ?? {}) as Record<string, string>)) {
      if (!(THRESHOLD_KEYS as readonly string[]).includes(key)) throw new Error(`thresholds.${key}: unknown key`);
      const k = key as (typeof THRESHOLD_KEYS)[number];
      if (value === 'off') delete thresholds[k];
      else thresholds[k] = parseRate(value);
    }
    svc.thresholds = thresholds;
  } catch (err) {
    fail(name, `service: ${(err as Error).message}`);
  }
  return svc;
}
