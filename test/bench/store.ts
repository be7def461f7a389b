/**
 * Storage benchmark: how fast scrapes land, how much disk a sample costs, how long reads and
 * retention take. Prints numbers; asserts nothing. `node .bench/test/bench/store.js [services]` (after `npm run bench:build`)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/index.js';
import type { Sample } from '../../src/model/sample.js';

const services = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'leakwatch-bench-store-'));
const path = join(dir, 'bench.db');
const store = Store.open(path);

function sample(t: number, i: number): Sample {
  const heap = 100e6 + i * 1000;
  return {
    t, heapAlloc: heap, heapInuse: heap + 1e6, heapIdle: 5e6, heapReleased: 2e6, heapSys: heap + 6e6, heapObjects: 120000 + i,
    sys: heap + 20e6, stackInuse: 327680, stackSys: 327680, mspanInuse: 1348272, mspanSys: 1350576, mcacheInuse: 2400,
    mcacheSys: 15600, buckHashSys: 1450772, gcSys: 11073424, otherSys: 675284, nextGC: 2 * heap, lastGC: t * 1e6,
    numGC: i, numForcedGC: 0, totalAlloc: 1e9 + i * 1e6, mallocs: 1e6 + i, frees: 9e5 + i, pauseTotalNs: 1e6 * i,
    gcCPUFraction: 0.01, goroutines: 100 + (i % 7), rss: heap + 30e6, processStart: 1.7e12, pid: 4242,
  };
}

function bytes(): number {
  return [path, `${path}-wal`].reduce((n, p) => n + (existsSync(p) ? statSync(p).size : 0), 0);
}

function time<T>(fn: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e6];
}

const T0 = Date.UTC(2026, 0, 1);
const perService = 2880; // 12 h at one scrape per 15 s
const [, sampleMs] = time(() => {
  for (let i = 0; i < perService; i++) {
    const t = T0 + i * 15_000;
    for (let s = 0; s < services; s++) store.recordScrape(`svc${s}`, { at: t, ok: true, durationMs: 3, sample: sample(t, i) });
  }
});
const n = perService * services;
store.db.pragma('wal_checkpoint(TRUNCATE)');
console.log(`recordScrape (sample only): ${n} scrapes in ${sampleMs.toFixed(0)} ms = ${Math.round(n / (sampleMs / 1000))}/s, ${(sampleMs * 1000 / n).toFixed(1)} us each`);
console.log(`disk: ${(bytes() / n).toFixed(0)} bytes per stored scrape+sample (${(bytes() / 1e6).toFixed(1)} MB total)`);

const body = randomBytes(64 * 1024);
const [, profMs] = time(() => {
  for (let i = 0; i < 500; i++) store.recordScrape('svc0', { at: T0 + i * 60_000, ok: true, durationMs: 5, profiles: [{ kind: 'heap', data: body }] });
});
console.log(`recordScrape (64 KB heap profile): ${(profMs * 1000 / 500).toFixed(0)} us each`);

const read = () => store.samples('svc0', { from: T0 + perService * 15_000 - 6 * 3600_000 });
const [, coldMs] = time(read);
const [win, readMs] = time(read);
console.log(`samples(): 6 h window, ${win.length} samples in ${readMs.toFixed(1)} ms (first call ${coldMs.toFixed(1)} ms)`);
const [, latestMs] = time(() => { for (let s = 0; s < services; s++) store.latestSample(`svc${s}`); });
console.log(`latestSample() x${services}: ${latestMs.toFixed(2)} ms`);

const before = bytes();
const [counts, pruneMs] = time(() => store.prune({ samples: 6 * 3600_000, profiles: 3600_000, scrapeLog: 3600_000 }, T0 + perService * 15_000));
console.log(`prune: ${JSON.stringify(counts)} in ${pruneMs.toFixed(0)} ms; file ${(before / 1e6).toFixed(1)} MB -> ${(bytes() / 1e6).toFixed(1)} MB`);

store.close();
rmSync(dir, { recursive: true, force: true });
