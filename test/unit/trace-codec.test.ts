/**
 * One trace codec (design §3) for `leakwatch export-trace`, the samples API and `leakwatch replay`:
 * samples the daemon stored, with every field, come back field for field, and replaying the export
 * gives the verdict the daemon's own watch reached on the same samples.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import exportTrace from '../../src/cli/commands/export-trace.js';
import { loadConfig } from '../../src/config/load.js';
import type { ServiceConfig } from '../../src/config/schema.js';
import { replay, type ReplayIncident } from '../../src/analyze/replay.js';
import { parseTrace, traceRecord } from '../../src/analyze/trace.js';
import { ServiceWatch } from '../../src/daemon/watch.js';
import { silentLogger } from '../../src/log/log.js';
import { apiRoutes } from '../../src/web/api.js';
import { SAMPLE_FIELDS, type Sample } from '../../src/model/sample.js';
import { Store } from '../../src/store/index.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { IncidentEvents } from '../../src/store/incident-events.js';
import { OutboxStore } from '../../src/store/outbox.js';

const MB = 1e6;
const STEP = 15_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const RESTART_AT = T0 + 100 * 60_000;
const END = T0 + 3 * HOUR;
/** GOMEMLIMIT: the GC goal sits just under it, so NextGC says nothing about the live heap. */
const MEMLIMIT = 256 * 1024 * 1024;

/**
 * A Go service leaking 40 MB/h under GOMEMLIMIT, restarted once (new pid, new start time): every
 * Sample field set, as a collector with pprof, expvar and /proc sources fills them. The second
 * process reports its start time with a fraction of a millisecond, as Prometheus's
 * `process_start_time_seconds` × 1000 does.
 */
function leakUnderLimit(): Sample[] {
  const out: Sample[] = [];
  let gcs = 0;
  let allocated = 0;
  for (let t = T0, k = 0; t <= END; t += STEP, k++) {
    const second = t >= RESTART_AT;
    const start = second ? RESTART_AT - 1000.25 : T0 - 60_000;
    if (second && out[out.length - 1]!.t < RESTART_AT) gcs = allocated = 0;
    const live = 150 * MB + (40 * MB * (t - start)) / HOUR;
    const nextGC = Math.min(2 * live, 0.96 * MEMLIMIT);
    const heapAlloc = live + (nextGC - live) * ((k % 4) / 4);
    gcs += k % 4 === 0 ? 1 : 0;
    allocated += 20 * MB;
    const heapInuse = heapAlloc + 3 * MB;
    const heapIdle = 40 * MB;
    const heapReleased = 25 * MB;
    const sys = heapInuse + heapIdle + 18 * MB;
    out.push({
      t, heapAlloc, heapInuse, heapIdle, heapReleased, heapSys: heapInuse + heapIdle, heapObjects: Math.round(heapAlloc / 64),
      sys, stackInuse: 1.5 * MB, stackSys: 2 * MB, mspanInuse: 0.8 * MB, mspanSys: 1 * MB, mcacheInuse: 0.01 * MB, mcacheSys: 0.02 * MB,
      buckHashSys: 1.5 * MB, gcSys: 6 * MB, otherSys: 2 * MB, nextGC, lastGC: (t - 2000) * 1e6, numGC: gcs, numForcedGC: 0,
      totalAlloc: allocated, mallocs: allocated / 64, frees: allocated / 64 - heapAlloc / 64, pauseTotalNs: gcs * 150_000,
      gcCPUFraction: 0.0125, goroutines: 42, rss: sys - heapReleased + 12 * MB, processStart: start, pid: second ? 4343 : 4242,
      gogc: 100, gomemlimit: MEMLIMIT, restart: second && t - STEP < RESTART_AT,
    });
  }
  return out;
}

/** What a replay and the daemon's incident store both say: one line per incident. */
type Verdict = Pick<ReplayIncident, 'metric' | 'openedAt' | 'resolvedAt' | 'slopePerHour' | 'resolveReason'>;

const dir = mkdtempSync(join(tmpdir(), 'leakwatch-trace-'));
const configPath = join(dir, 'leakwatch.yaml');
const tracePath = join(dir, 'checkout.jsonl');
let svc: ServiceConfig;
let samples: Sample[];
let stored: Sample[];
let daemonVerdict: Verdict[];
let exported: string;

beforeAll(async () => {
  writeFileSync(configPath, `database: ${join(dir, 'leakwatch.db')}
defaults:
  window: 1h
  warmup: 5m
  thresholds: { heapGrowth: 10MB/h }
services:
  - name: checkout
    expvar: http://127.0.0.1:1/debug/vars
`);
  const config = loadConfig(configPath);
  svc = config.services[0]!;
  samples = leakUnderLimit();

  // The daemon's path: each scrape result through the service's watch (store, detector, incidents).
  const store = Store.open(config.database);
  const incidents = new IncidentStore(store.db);
  let now = T0;
  const watch = new ServiceWatch(svc, {
    store, incidents, events: new IncidentEvents(store.db), alerts: { wake: () => undefined },
    log: silentLogger, host: 'test', now: () => now,
  });
  for (const s of samples) {
    now = s.t;
    await watch.ingest([{ at: s.t, ok: true, sample: { ...s }, failures: [], durationMs: 1, fetched: [] }]);
  }
  daemonVerdict = incidents.list({ service: 'checkout' }).reverse().map((i) => ({
    metric: i.metric,
    openedAt: new Date(i.openedAt).toISOString(),
    resolvedAt: i.resolvedAt === null ? null : new Date(i.resolvedAt).toISOString(),
    slopePerHour: i.openSlopePerHour ?? i.slopePerHour,
    ...(i.resolveReason ? { resolveReason: i.resolveReason } : {}),
  }));
  stored = store.samples('checkout');
  store.close();

  expect(await exportTrace(['checkout', '-o', tracePath, '--config', configPath])).toBe(0);
  exported = readFileSync(tracePath, 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verdictOf = (s: readonly Sample[]): Verdict[] =>
  replay(s, svc).incidents.map(({ metric, openedAt, resolvedAt, slopePerHour, resolveReason }) => ({
    metric, openedAt, resolvedAt, slopePerHour, ...(resolveReason ? { resolveReason } : {}),
  }));

describe('export-trace → replay: the trace round trip', () => {
  it('the stored samples carry every field, and the daemon opened a heap incident and resolved it at the restart', () => {
    expect(stored).toHaveLength(samples.length);
    for (const f of [...SAMPLE_FIELDS, 'restart'] as const) expect(stored.every((s) => s[f] !== undefined), f).toBe(true);
    expect(daemonVerdict.map((v) => v.metric)).toContain('heap');
    expect(daemonVerdict.find((v) => v.metric === 'heap')?.resolveReason).toBe('restart');
  });

  it('gives back every stored sample field for field, pid, gogc, gomemlimit and restart included', () => {
    const lines = exported.trimEnd().split('\n');
    expect(lines).toHaveLength(stored.length);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ t: new Date(T0).toISOString(), pid: 4242, gogc: 100, gomemlimit: MEMLIMIT, restart: false });
    expect(parseTrace(exported)).toEqual(stored);
    // The one field whose value the codec must not round: a start time with a fraction of a ms.
    expect(parseTrace(exported).at(-1)!.processStart).toBe(RESTART_AT - 1000.25);
  });

  it('replaying the export gives the verdict the daemon reached on the same samples', () => {
    expect(verdictOf(parseTrace(exported))).toEqual(daemonVerdict);
  });

  it('the samples API answers the same records export-trace writes', async () => {
    const store = Store.open(loadConfig(configPath).database);
    try {
      const route = apiRoutes({
        store, incidents: new IncidentStore(store.db), outbox: new OutboxStore(store.db), config: () => loadConfig(configPath), now: () => END,
      }).find((r) => r.path === '/api/services/:name/samples')!;
      const url = new URL(`http://127.0.0.1/api/services/checkout/samples?from=${T0}&to=${END}`);
      const reply = await route.handle({ method: 'GET', url, headers: {}, params: { name: 'checkout' } });
      expect(reply.status).toBe(200);
      expect(JSON.parse(String(reply.body))).toEqual(exported.trimEnd().split('\n').map((l) => JSON.parse(l)));
      expect(JSON.parse(String(reply.body))).toEqual(stored.map(traceRecord));
    } finally {
      store.close();
    }
  });
});
