/**
 * A watchdog must not leak: samples that left the window must become garbage, whatever the
 * detector memoised about them: the restart memo (one sample per bucket is the case that used to
 * chain them all) and the bucket memos (only kept for buckets of several samples).
 */
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { detect } from '../../src/analyze/detector.js';
import { benchService } from '../../src/bench/scenarios.js';
import type { Sample } from '../../src/model/sample.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('detector memory', () => {
  it.each([
    { perBucket: 1, step: 1000 },
    { perBucket: 4, step: 250 },
  ])('keeps its own memory flat while the window slides ($perBucket samples per 1 s bucket)', async ({ perBucket, step }) => {
    const service = { ...benchService('mem'), window: 60_000, warmup: 0 };
    const keep = 60_000 / step + 1;
    let window: Sample[] = [];
    let t = Date.now() - 1e9;
    const heap: number[] = [];
    // 12,000 buckets in all, so a leak of one memo per bucket shows as clearly as one per sample.
    const scrapes = 12_000 * perBucket;
    for (let i = 0; i < scrapes; i++) {
      t += step;
      window.push({ t, heapAlloc: 1e8 + (i % 7) * 1e6, nextGC: 2e8, numGC: i, sys: 3e8, rss: 2.5e8, goroutines: 50, totalAlloc: i * 1e7, processStart: 0 });
      if (window.length > keep) window = window.slice(-keep);
      detect({ service, samples: window, now: t, open: [] });
      // WeakRef targets stay alive until the current job ends, as they do between scrapes.
      await new Promise((r) => setImmediate(r));
      if (i % (4000 * perBucket) === 4000 * perBucket - 1) {
        gc();
        heap.push(process.memoryUsage().heapUsed);
      }
    }
    // A leak of one sample and its memo per scrape (or bucket) grows by megabytes over 8,000 of them.
    expect(heap[2]! - heap[0]!).toBeLessThan(1.5e6);
  }, 60_000);
});
