/**
 * Issue 15, isolation acceptance: the real daemon on a one-second schedule watches two healthy
 * real Go programs beside four hostile targets served by a real local HTTP server: a gzip bomb
 * (4 MB that inflates to 4 GB), a 50 MB expvar body, a /metrics body that never ends and a slow
 * drip. The healthy services keep ≥ 95% of their samples and never fail; each hostile one is
 * recorded with its own reason. (Peak RSS and event-loop lag are printed by `npm run bench:hostile`.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliAsync, sleep, startDaemon, tempDir, writeConfig } from '../helpers/daemon.js';
import { goAvailable, startTarget, type RunningTarget } from '../helpers/go.js';
import { Store } from '../../src/store/index.js';
import { hostileRoutes } from '../bench/hostile-targets.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (f: string) => readFileSync(join(here, '../fixtures/pprof/out123', f));
const RUN_MS = 40_000;

/** Each hostile service, the YAML that points it at its route, and the reason it must be recorded with. */
const HOSTILE: Record<string, { yaml: (base: string) => string; code: string[]; reason: RegExp; profile?: boolean }> = {
  bomb: {
    // 4.2 MB to send: a starved loopback may need more than a second for it.
    yaml: (b) => `pprof: ${b}/bomb/debug/pprof\n    timeout: 3s`,
    code: ['too_large'],
    reason: /heap profile: gzip bomb: [\d.]+ KB of gzip inflated to over [\d.]+ MB/,
    profile: true,
  },
  expvar50: {
    yaml: (b) => `expvar: ${b}/expvar50/debug/vars`,
    // Refused at the cap as the bytes arrive; a starved machine may deliver less than 8 MiB in the second.
    code: ['too_large', 'timeout'],
    reason: /expvar: .*(body passed the 8.39 MB cap \(the expvar body cap\)|timed out after 1000 ms \(body incomplete after)/,
  },
  endless: {
    yaml: (b) => `metrics: ${b}/endless/metrics`,
    // Loopback delivers 8 MiB well inside the second; a starved machine may only get part of it.
    code: ['too_large', 'timeout'],
    reason: /metrics: .*(body passed the 8.39 MB cap \(the metrics body cap\)|timed out after 1000 ms \(body incomplete after)/,
  },
  drip: {
    yaml: (b) => `expvar: ${b}/drip/debug/vars`,
    code: ['timeout'],
    reason: /expvar: .*timed out after 1000 ms \(body incomplete after [\d.]+ (B|KB|MB)\)/,
  },
};

interface Row { at: number; ok: boolean; reason?: string; failures?: { source: string; code: string; reason: string }[] }

describe.skipIf(!goAvailable())('one hostile target never hurts the others (real daemon, real Go targets)', () => {
  let server: http.Server;
  const healthy: RunningTarget[] = [];
  let dir: string;
  let configPath: string;
  let startedAt = 0;
  let stoppedAt = 0;
  let exitCode: number | null = null;
  let metricsText = '';

  beforeAll(async () => {
    const routes = hostileRoutes({ heapText: fixture('new_heap_debug1.txt'), goroutineText: fixture('goroutine_debug1.txt') });
    server = http.createServer((req, res) => {
      const handler = routes[req.url ?? ''];
      if (handler) handler(req, res);
      else res.writeHead(404).end('404 page not found\n');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const bad = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (let i = 0; i < 2; i++) healthy.push(await startTarget(['-mode', 'steady']));
    dir = tempDir();
    const services = [
      ...healthy.map((t, i) => `  - name: healthy${i}\n    pprof: ${t.base}/debug/pprof\n    expvar: ${t.base}/debug/vars\n    metrics: ${t.base}/metrics\n    pid: ${t.pid}`),
      ...Object.entries(HOSTILE).map(([name, h]) => `  - name: ${name}\n    ${h.yaml(bad)}`),
    ];
    configPath = writeConfig(
      dir,
      `database: ${join(dir, 'lw.db')}
http:
  listen: 127.0.0.1:0
defaults:
  schedule: "* * * * * *"
  profileSchedule: "* * * * * *"
  timeout: 1s
  window: 1h
services:
${services.join('\n')}
`,
    );
    const daemon = startDaemon(configPath);
    const line = await daemon.waitForLog(/http listening[^\n]*http:\/\/127\.0\.0\.1:\d+/);
    startedAt = Date.now();
    await sleep(RUN_MS);
    metricsText = await (await fetch(`${/http:\/\/127\.0\.0\.1:\d+/.exec(line)![0]}/metrics`)).text();
    stoppedAt = Date.now();
    exitCode = await daemon.stop();
  }, 120_000);

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await Promise.all(healthy.map((t) => t.stop()));
  });

  const rows = (name: string): Row[] => {
    const store = Store.open(join(dir, 'lw.db'));
    try {
      return store.recentScrapes(name, 10_000) as Row[];
    } finally {
      store.close();
    }
  };

  it('keeps ≥ 95% of the healthy services samples, every scrape of them ok', () => {
    expect(exitCode).toBe(0);
    // Whole one-second ticks from a second after start-up to a second before stop.
    const from = Math.ceil(startedAt / 1000) * 1000 + 1000;
    const to = Math.floor(stoppedAt / 1000) * 1000 - 1000;
    const expected = (to - from) / 1000;
    expect(expected).toBeGreaterThanOrEqual(15);
    const store = Store.open(join(dir, 'lw.db'));
    try {
      for (let i = 0; i < healthy.length; i++) {
        const got = store.samples(`healthy${i}`, { from, to: to - 1 }).length;
        expect(got, `healthy${i}: ${got} of ${expected} samples`).toBeGreaterThanOrEqual(Math.ceil(0.95 * expected));
        const log = store.recentScrapes(`healthy${i}`, 10_000);
        expect(log.filter((r) => !r.ok || r.failures), `healthy${i} failures`).toEqual([]);
      }
    } finally {
      store.close();
    }
  });

  it('records each hostile target with its own reason, every time it is due', () => {
    for (const [name, h] of Object.entries(HOSTILE)) {
      const failed = rows(name).filter((r) => r.failures?.some((f) => h.code.includes(f.code)));
      expect(failed.length, `${name}: ${JSON.stringify(rows(name).slice(-2))}`).toBeGreaterThanOrEqual(5);
      for (const r of failed) expect(r.reason, name).toMatch(h.reason);
      // A failure names only the hostile target: none is leakwatch's own back-pressure.
      for (const r of rows(name)) expect(r.failures?.filter((f) => f.code === 'overloaded') ?? [], name).toEqual([]);
    }
    const bomb = Store.open(join(dir, 'lw.db'));
    try {
      expect(bomb.listProfiles('bomb').length).toBe(0);
      expect(bomb.samples('bomb').length, 'the bomb service keeps its MemStats').toBeGreaterThanOrEqual(10);
    } finally {
      bomb.close();
    }
  });

  it('shows the reasons, scrape lag and skipped scrapes in status --json and /metrics', async () => {
    const r = await cliAsync(['status', '--json', '--config', configPath]);
    expect(r.code, r.stderr).toBe(0);
    const { services } = JSON.parse(r.stdout) as {
      services: { name: string; state: string; lastScrapeError?: string; scrapeLagSeconds: number | null; scrapesSkipped: number }[];
    };
    for (const s of services) {
      expect(typeof s.scrapeLagSeconds, s.name).toBe('number');
      expect(s.scrapesSkipped, s.name).toBeGreaterThanOrEqual(0);
    }
    for (const name of ['expvar50', 'endless', 'drip']) {
      const s = services.find((x) => x.name === name)!;
      expect(s.state, name).toBe('unreachable');
      expect(s.lastScrapeError, name).toMatch(HOSTILE[name]!.reason);
    }
    for (const name of ['healthy0', 'healthy1']) expect(services.find((x) => x.name === name)!.state).not.toBe('unreachable');
    expect(metricsText).toMatch(/^leakwatch_scrape_lag_seconds\{service="healthy0"\} [\d.e-]+$/m);
    expect(metricsText).toMatch(/^leakwatch_scrapes_skipped_total\{service="drip"\} \d+$/m);
  });
});
