/**
 * A watchdog must not leak: samples that left the window must become garbage, whatever the
 * detector memoised about them (one sample per bucket is the case that used to chain them all).
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
  it('keeps its own memory flat while the window slides (one sample per bucket)', async () => {
    const service = { ...benchService('mem'), window: 60_000, warmup: 0 };
    let window: Sample[] = [];
    let t = Date.now() - 1e9;
    const heap: number[] = [];
    for (let i = 0; i < 12_000; i++) {
      t += 1000;
      window.push({ t, heapAlloc: 1e8 + (i % 7) * 1e6, nextGC: 2e8, numGC: i, sys: 3e8, rss: 2.5e8, goroutines: 50, totalAlloc: i * 1e7, processStart: 0 });
      if (window.length > 61) window = window.slice(-61);
      detect({ service, samples: window, now: t, open: [] });
      // WeakRef targets stay alive until the current job ends, as they do between scrapes.
      await new Promise((r) => setImmediate(r));
      if (i % 4000 === 3999) {
        gc();
        heap.push(process.memoryUsage().heapUsed);
      }
    }
    // A leak of one sample and its memo per scrape grows by megabytes over 8,000 scrapes.
    expect(heap[2]! - heap[0]!).toBeLessThan(1.5e6);
  }, 60_000);
});
