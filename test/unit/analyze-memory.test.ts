/**
 * A watchdog must not leak: the detector keeps bucket floors, not samples, and only as many
 * buckets as its window (plus a day, at most 8 windows) and its long windows need. Fed 12,000
 * buckets' worth of samples, its own memory stays flat.
 */
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Detector } from '../../src/analyze/detector.js';
import { benchService } from '../bench/scenarios.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('detector memory', () => {
  it.each([
    { perBucket: 1, step: 1000 },
    { perBucket: 4, step: 250 },
  ])('keeps its own memory flat while time goes on ($perBucket samples per 1 s bucket)', ({ perBucket, step }) => {
    const service = { ...benchService('mem'), window: 60_000, warmup: 0 };
    const d = new Detector(service);
    let t = Date.now() - 1e9;
    const heap: number[] = [];
    const scrapes = 12_000 * perBucket;
    for (let i = 0; i < scrapes; i++) {
      t += step;
      d.observe({ t, heapAlloc: 1e8 + (i % 7) * 1e6, nextGC: 2e8, numGC: i, sys: 3e8, rss: 2.5e8, goroutines: 50, totalAlloc: i * 1e7, processStart: 0 });
      d.evaluate(t, []);
      if (i % (4000 * perBucket) === 4000 * perBucket - 1) {
        gc();
        heap.push(process.memoryUsage().heapUsed);
      }
    }
    expect(d.history.fine.length).toBeLessThan(600);
    // A leak of one bucket (or sample) per scrape grows by megabytes over 8,000 of them.
    expect(heap[2]! - heap[0]!).toBeLessThan(1.5e6);
  }, 60_000);
});
