/**
 * A daemon-like setup for the dashboard tests: a real Store on a temp file, samples, an incident
 * with its attribution and deliveries, and one heap profile, written through the real Store/IncidentStore/OutboxStore
 * APIs, a config loaded from YAML, and the real HTTP listener with webRoutes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/log.js';
import { Store } from '../../src/store/index.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { OutboxStore } from '../../src/store/outbox.js';
import { listening } from '../helpers/http.js';
import { type HttpServer } from '../../src/web/server.js';
import { webRoutes, type WebDeps } from '../../src/web/dashboard.js';
import type { Sample } from '../../src/model/sample.js';
import type { Trend } from '../../src/model/trend.js';

export const LEAKING_FN = 'main.(*sessionStore).remember';
export const BLOCKING_FN = 'main.subscribe';
/** A service name no config accepts, but a database may hold (data outlives config changes). */
export const EVIL_SERVICE = '<script>alert(1)</script>';
/** A function name as a hostile or odd binary could carry it. */
export const EVIL_FN = 'main.<img src=x onerror=alert(2)>';

/** A real Go heap profile (`go tool pprof -top` of it: 38180.32kB inuse_space in all). */
export const HEAP_PROFILE = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/pprof/out123/new.pb.gz');
/** Its inuse_space total in bytes, as `go tool pprof -top` prints it (to 0.01 kB). */
export const HEAP_PROFILE_INUSE = 38180.32 * 1024;

const MB = 1e6;
const STEP = 30_000;

/** A leaking Go service: heap floor +20 MB/h under a GC sawtooth, Sys and RSS following, goroutines growing. */
export function leakingSamples(end: number, minutes: number): Sample[] {
  const out: Sample[] = [];
  const n = Math.floor((minutes * 60_000) / STEP);
  const start = end - n * STEP;
  for (let k = 0; k <= n; k++) {
    const t = start + k * STEP;
    const floor = 50 * MB + (20 * MB * (t - start)) / 3_600_000;
    const heapAlloc = floor * (1 + (k % 4) / 4);
    const heapInuse = heapAlloc + 4 * MB;
    const heapIdle = 30 * MB;
    const heapReleased = 10 * MB;
    const sys = heapInuse + heapIdle + 20 * MB;
    out.push({
      t, heapAlloc, heapInuse, heapIdle, heapReleased, heapSys: heapInuse + heapIdle, sys,
      stackSys: 2 * MB, gcSys: 5 * MB, mspanSys: 1 * MB, mcacheSys: 0.02 * MB, otherSys: 2 * MB, buckHashSys: 1.5 * MB,
      nextGC: 2 * floor, numGC: Math.floor(k / 4), totalAlloc: 1e9 + k * 5 * MB,
      goroutines: 40 + Math.floor(k / 2), rss: sys - heapReleased + 15 * MB, processStart: start - 60_000,
    });
  }
  return out;
}

export interface WebFixture {
  dir: string;
  store: Store;
  incidents: IncidentStore;
  outbox: OutboxStore;
  server: HttpServer;
  url: string;
  heapIncidentId: number;
  evilIncidentId: number;
  close(): Promise<void>;
}

const trend = (current: number, slopePerHour: number): Trend => ({
  slopePerHour, lowerPerHour: slopePerHour * 0.8, upperPerHour: slopePerHour * 1.2, confidence: 0.997, current, n: 40,
  timeToLimitHours: (2e9 - current) / (slopePerHour * 0.8), limit: 2e9,
});

export async function startWebFixture(opts: { token?: string; live?: WebDeps['live'] } = {}): Promise<WebFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-web-'));
  const configPath = join(dir, 'leakwatch.yaml');
  writeFileSync(configPath, `database: ${join(dir, 'leakwatch.db')}
defaults:
  window: 1h
  warmup: 0s
  limits: { heap: 2GB }
services:
  - name: checkout
    pprof: http://127.0.0.1:1/debug/pprof
  - name: idle
    expvar: http://127.0.0.1:1/debug/vars
`);
  const config = loadConfig(configPath);
  const store = Store.open(config.database);
  const incidents = new IncidentStore(store.db);
  const outbox = new OutboxStore(store.db);
  const now = Date.now();

  for (const s of leakingSamples(now, 90)) store.recordScrape('checkout', { at: s.t, ok: true, durationMs: 4, sample: s });
  // A profile scrape as ServiceWatch records it: no sample, one heap profile (a minute before the last sample scrape).
  const profileAt = now - 60_000;
  store.recordScrape('checkout', {
    at: profileAt, ok: true, durationMs: 30,
    profiles: [{ kind: 'heap', data: readFileSync(HEAP_PROFILE), timeNanos: BigInt(profileAt) * 1_000_000n }],
  });
  for (const s of leakingSamples(now, 10)) store.recordScrape(EVIL_SERVICE, { at: s.t, ok: true, durationMs: 4, sample: s });

  const heap = incidents.open('checkout', 'heap', trend(75 * MB, 20 * MB), now - 30 * 60_000);
  incidents.attach(heap.id, {
    topGrowth: [
      { function: LEAKING_FN, deltaBytes: 9.5 * MB, deltaObjects: 9500, cumBytes: 9.6 * MB, share: 0.95 },
      { function: 'bytes.growSlice', deltaBytes: 0.5 * MB, deltaObjects: 12, share: 0.05 },
    ],
    topGoroutines: [
      { function: BLOCKING_FN, delta: 120, count: 140, stack: ['runtime.gopark', 'runtime.chanrecv1', BLOCKING_FN, 'main.main.func1'] },
    ],
  });
  outbox.insert([
    { incidentId: heap.id, eventKind: 'open', eventSeq: 1, channel: 'ops-slack', payload: '{}' },
    { incidentId: heap.id, eventKind: 'open', eventSeq: 1, channel: 'oncall-mail', payload: '{}' },
  ], now);
  const claimed = outbox.claimDue(now, 10, 'test');
  outbox.markSent(claimed.find((r) => r.channel === 'ops-slack')!.id, now);
  outbox.reschedule(claimed.find((r) => r.channel === 'oncall-mail')!.id, 'test', now + 60_000, 'connect ECONNREFUSED 127.0.0.1:25');

  const evil = incidents.open(EVIL_SERVICE, 'heap', trend(60 * MB, 15 * MB), now - 5 * 60_000, `note with <b>markup</b> & "quotes"`);
  incidents.attach(evil.id, { topGrowth: [{ function: EVIL_FN, deltaBytes: 1 * MB, deltaObjects: 10, share: 1 }], topGoroutines: [] });

  const server = await listening({
    listen: '127.0.0.1:0',
    token: opts.token,
    log: silentLogger,
    source: { health: () => ({ ok: true, db: true, services: [] }), metrics: () => ({ services: [], outboxDepth: 0 }) },
    routes: webRoutes({ store, incidents, outbox, config: () => config, live: opts.live }),
  });
  return {
    dir, store, incidents, outbox, server, url: server.url!, heapIncidentId: heap.id, evilIncidentId: evil.id,
    async close() {
      await server.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
