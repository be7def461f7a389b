/**
 * Issue 13, item 2: with `samples: prometheus` "the window [is] backfilled at start — a new
 * install judges the last 6 h at once". A real Prometheus scrapes a leaking and a steady real Go
 * program, and a server exporting values no Go runtime can produce, for longer than one backfill
 * slice (60 points) before leakwatch starts. leakwatch then reads the whole window from it at its
 * first tick, in slices with no gap and no repeat between them, and judges it at once: the heap
 * incident opens before the daemon has a sixth of a window of samples of its own (what the
 * detector needs to judge anything). The steady program gets no incident, and the impossible
 * values never reach the database: the scrape log names them (issue 15's validation table).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startTarget, type RunningTarget } from '../helpers/go.js';
import { buildPromTarget, freePort, prometheusAvailable, prometheusFleetConfig, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { cli, eventually, sleep, startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';
import { Store } from '../../src/store/index.js';

interface IncidentJson {
  service: string;
  metric: string;
  openedAt: string;
}
interface StatusJson {
  services: { name: string; samples: number }[];
}

const WINDOW_S = 70;
/** Prometheus history before leakwatch starts: more than the window, more than one 60-point slice. */
const HISTORY_POINTS = WINDOW_S + 5;
const TWO_70 = String(2n ** 70n);

describe.skipIf(!prometheusAvailable())('fleet: a new install backfills its window from Prometheus and judges it at once', () => {
  const targets: Record<string, RunningTarget> = {};
  let bogus: http.Server;
  let prom: RunningPrometheus;
  let daemon: RunningDaemon;
  let configPath = '';
  let dbPath = '';
  let lwUrl = '';
  /** When this test saw the daemon's "leakwatch started": after the daemon really started. */
  let startedSeen = 0;
  let incidents: IncidentJson[] = [];

  const list = (): IncidentJson[] => {
    const r = cli(['incidents', '--json', '--config', configPath]);
    return r.code === 0 ? (JSON.parse(r.stdout) as { incidents: IncidentJson[] }).incidents : [];
  };
  /** The stored samples (the API's trace records, `t` an ISO time), t in Unix ms. */
  const samples = async (name: string): Promise<{ t: number }[]> =>
    ((await (await fetch(`${lwUrl}/api/services/${encodeURIComponent(name)}/samples?from=-10m`)).json()) as { t: string }[])
      .map((r) => ({ t: Date.parse(r.t) }));

  beforeAll(async () => {
    const bin = buildPromTarget();
    targets.leaky = await startTarget(['-mode', 'leak', '-rate', '2000000'], bin);
    targets.steady = await startTarget(['-mode', 'steady'], bin);
    // A /metrics with a HeapAlloc of 2^70, beside plausible Sys and goroutines.
    bogus = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(`go_memstats_heap_alloc_bytes ${TWO_70}\ngo_memstats_sys_bytes 5e+08\ngo_goroutines 12\n`);
    });
    await new Promise<void>((ok) => bogus.listen(0, '127.0.0.1', ok));
    const bogusAddr = `127.0.0.1:${(bogus.address() as AddressInfo).port}`;
    const groups = [
      ...Object.entries(targets).map(([app, t]) => [app, t.base.replace('http://', '')]),
      ['bogus', bogusAddr],
    ].map(([app, addr]) => `      - targets: ["${addr}"]\n        labels: { app: ${app} }`).join('\n');
    prom = await startPrometheus(`  - job_name: go\n    static_configs:\n${groups}\n`);
    for (const started = Date.now(); ;) {
      const r = await prom.query(`count_over_time(go_memstats_heap_alloc_bytes{app="leaky"}[5m])`);
      if (Number(r[0]?.value[1] ?? 0) >= HISTORY_POINTS) break;
      if (Date.now() - started > 180_000) throw new Error(`Prometheus has ${JSON.stringify(r)} points of history after 180 s`);
      await sleep(1000);
    }

    lwUrl = `http://127.0.0.1:${await freePort()}`;
    const dir = tempDir();
    dbPath = join(dir, 'lw.db');
    configPath = writeConfig(dir, prometheusFleetConfig({ database: dbPath, listen: lwUrl.replace('http://', ''), prometheus: prom.url, window: `${WINDOW_S}s` }));
    daemon = startDaemon(configPath);
    await daemon.waitForLog(/leakwatch started/);
    startedSeen = Date.now();
    await eventually(() => {
      incidents = list();
      return incidents.some((i) => i.service === 'leaky' && i.metric === 'heap');
    }, 60_000, 'a heap incident for the leaky program').catch(() => undefined);
    // The steady program is judged on the same backfill; a few live ticks more.
    await sleep(5_000);
    incidents = list();
  }, 300_000);

  afterAll(async () => {
    await daemon?.stop();
    await prom?.stop();
    await Promise.all(Object.values(targets).map((t) => t.stop()));
    bogus?.closeAllConnections();
    bogus?.close();
  });

  it('stores the window from before its own start, one sample per step, no gap or repeat between slices', async () => {
    const before = (await samples('leaky')).filter((s) => s.t < startedSeen);
    expect(before.length, daemon.logs().slice(-4000)).toBeGreaterThanOrEqual(WINDOW_S - 5);
    expect(startedSeen - before[0]!.t).toBeGreaterThanOrEqual((WINDOW_S - 5) * 1000);
    const steps = before.slice(1).map((s, i) => s.t - before[i]!.t);
    expect(steps.filter((d) => d !== 1000)).toEqual([]);
  });

  it('opens the heap incident on the backfilled history, before a sixth of a window of its own samples', async () => {
    const heap = incidents.filter((i) => i.service === 'leaky' && i.metric === 'heap');
    expect(heap, JSON.stringify(incidents) + daemon.logs().slice(-6000)).toHaveLength(1);
    const openedAt = Date.parse(heap[0]!.openedAt);
    // The detector judges nothing on less than a sixth of the window (12 one-second samples here).
    const all = await samples('leaky');
    expect(all.length).toBeGreaterThanOrEqual(WINDOW_S - 5);
    const own = all.filter((s) => s.t >= startedSeen && s.t <= openedAt);
    expect(own.length, `opened ${heap[0]!.openedAt}, started ${new Date(startedSeen).toISOString()}`).toBeLessThan(WINDOW_S / 6);
  });

  it('opens nothing for the steady program, judged on the same backfill', async () => {
    expect(incidents.filter((i) => i.service !== 'leaky')).toEqual([]);
    expect((await samples('steady')).filter((s) => s.t < startedSeen).length).toBeGreaterThanOrEqual(WINDOW_S - 5);
  });

  it('drops the impossible HeapAlloc Prometheus holds: no sample stored, the reason named', async () => {
    const s = (await (await fetch(`${lwUrl}/api/status`)).json()) as StatusJson;
    expect(s.services.find((x) => x.name === 'bogus')!.samples).toBe(0);
    // Its scrape log (beside the failed profile captures: it serves no pprof).
    const store = Store.open(dbPath);
    try {
      const failures = store.recentScrapes('bogus', 10_000).flatMap((r) => (r.failures ?? []) as { source: string; code: string; reason: string }[]);
      const invalid = failures.filter((f) => f.code === 'invalid_value');
      expect(invalid.length, JSON.stringify(failures.slice(-4))).toBeGreaterThan(0);
      for (const f of invalid) {
        expect(f.source).toBe('prometheus');
        expect(f.reason).toMatch(/^prometheus: dropped 1 invalid value: go_memstats_heap_alloc_bytes = 1\.18\d*e\+21 \(at or above 2\^63\)$/);
      }
    } finally {
      store.close();
    }
  });
});
