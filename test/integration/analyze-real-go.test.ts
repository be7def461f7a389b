/**
 * The detector on a real Go process, in compressed time: a 60 s window sampled every 250 ms,
 * thresholds in bytes per hour that a few seconds of real leaking clears. Samples come from the
 * target's /metrics (client_golang names), as the collector would read them, and go through
 * `replay`, the daemon's code path.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { replay } from '../../src/analyze/replay.js';
import { benchService } from '../bench/scenarios.js';
import type { Sample } from '../../src/model/sample.js';
import { goAvailable, startTarget, type RunningTarget } from '../helpers/go.js';

// Past the warm-up (8 s) and the first-lifetime guard (3/4 of the 60 s window), with time to spare:
// alone, the mmap leak opens its RSS incident at ~59 s; under the whole suite's load 75 s once fell short.
const RUN_MS = 90_000;
const EVERY_MS = 250;

const FIELDS: Record<string, keyof Sample> = {
  go_memstats_heap_alloc_bytes: 'heapAlloc',
  go_memstats_heap_inuse_bytes: 'heapInuse',
  go_memstats_heap_idle_bytes: 'heapIdle',
  go_memstats_heap_released_bytes: 'heapReleased',
  go_memstats_heap_sys_bytes: 'heapSys',
  go_memstats_sys_bytes: 'sys',
  go_memstats_next_gc_bytes: 'nextGC',
  go_memstats_alloc_bytes_total: 'totalAlloc',
  go_gc_duration_seconds_count: 'numGC',
  go_goroutines: 'goroutines',
  process_resident_memory_bytes: 'rss',
};

function parseMetrics(text: string, t: number): Sample {
  const s: Sample = { t };
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+) (\S+)$/.exec(line);
    if (!m) continue;
    const field = FIELDS[m[1]];
    if (field) (s as unknown as Record<string, number>)[field] = Number(m[2]);
    if (m[1] === 'process_start_time_seconds') s.processStart = Math.round(Number(m[2]) * 1000);
  }
  return s;
}

async function record(target: RunningTarget): Promise<Sample[]> {
  const samples: Sample[] = [];
  const end = Date.now() + RUN_MS;
  while (Date.now() < end) {
    const t = Date.now();
    const res = await fetch(`${target.base}/metrics`);
    samples.push(parseMetrics(await res.text(), t));
    await new Promise((ok) => setTimeout(ok, Math.max(0, EVERY_MS - (Date.now() - t))));
  }
  return samples;
}

const service = {
  ...benchService('real-go'),
  window: 60_000,
  warmup: 8_000,
  cooldown: 3_600_000,
  thresholds: {
    heapGrowth: { value: 100e6, unit: 'bytes' as const },
    // A young process's RSS settles by several hundred MB/h at this time scale; the mmap leak runs at 3.6 GB/h.
    sysGrowth: { value: 1500e6, unit: 'bytes' as const },
    rssGrowth: { value: 1500e6, unit: 'bytes' as const },
    goroutineGrowth: { value: 18_000, unit: 'count' as const },
  },
};

// Targets still running if a test failed half-way; each is stopped once (a second stop() would
// wait for an exit event that already happened).
const running = new Set<RunningTarget>();
afterAll(async () => {
  await Promise.all([...running].map((t) => t.stop()));
});

async function run(args: string[]): Promise<ReturnType<typeof replay>['incidents']> {
  const target = await startTarget(args);
  running.add(target);
  const samples = await record(target);
  running.delete(target);
  await target.stop();
  expect(samples.length).toBeGreaterThan(100);
  return replay(samples, service).incidents;
}

describe.skipIf(!goAvailable())('detector on a real Go 1.19 target', () => {
  it.concurrent('steady garbage churn (GC sawtooth only): no incident', async () => {
    expect(await run(['-mode', 'steady'])).toEqual([]);
  }, 120_000);

  it.concurrent('cache that fills during warm-up and plateaus: no incident', async () => {
    expect(await run(['-mode', 'plateau', '-rate', '4000000', '-cap', '16000000'])).toEqual([]);
  }, 120_000);

  it.concurrent('periodic batch spikes: no incident', async () => {
    expect(await run(['-mode', 'batch', '-period', '3s', '-cap', '16000000'])).toEqual([]);
  }, 120_000);

  it.concurrent('heap leak in main.(*sessionStore).remember: a heap incident', async () => {
    const incidents = await run(['-mode', 'leak', '-rate', '400000']);
    expect(incidents.map((i) => i.metric)).toContain('heap');
    expect(incidents.filter((i) => i.metric !== 'heap' && i.metric !== 'sys')).toEqual([]);
  }, 120_000);

  it.concurrent('goroutine leak: a goroutines incident', async () => {
    const incidents = await run(['-mode', 'goroutines', '-rate', '40']);
    expect(incidents.map((i) => i.metric)).toContain('goroutines');
  }, 120_000);

  it.concurrent('mmap outside the Go heap: an RSS incident that says so, and no heap incident', async () => {
    const incidents = await run(['-mode', 'mmap', '-rate', '1000000']);
    expect(incidents.map((i) => i.metric)).toContain('rss');
    expect(incidents.find((i) => i.metric === 'rss')?.note).toMatch(/outside the Go heap/);
    expect(incidents.map((i) => i.metric)).not.toContain('heap');
  }, 120_000);
});
