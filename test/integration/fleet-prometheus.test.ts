/**
 * Issue 13, acceptance 1: a real Prometheus scrapes real Go programs (client_golang's /metrics);
 * leakwatch discovers them through its API, reads their samples from it (`samples: prometheus`,
 * no scraping of its own), flags the leaking one on the heap, names its function from pprof, and
 * leaves the others alone. Prometheus scrapes leakwatch's /metrics too, so the exported verdicts
 * are read back the way Grafana and Alertmanager would. Then Prometheus hangs (SIGSTOP): every
 * service records a timed-out query naming it, and recovers on SIGCONT. Then Prometheus stops:
 * every service records a failed scrape naming it, and the daemon keeps running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startTarget, type RunningTarget } from '../helpers/go.js';
import { buildPromTarget, freePort, prometheusAvailable, prometheusFleetConfig, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { cli, eventually, sleep, startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';
import { Store } from '../../src/store/index.js';

interface IncidentJson {
  service: string;
  metric: string;
  topGrowth: { function: string; deltaBytes: number }[];
}
interface StatusJson {
  services: { name: string; state: string; lastScrapeOk: boolean | null; lastScrapeError?: string; labels?: Record<string, string>; source?: string; samplesFrom?: string; samples: number }[];
}

const PROGRAMS: Record<string, string[]> = {
  leaky: ['-mode', 'leak', '-rate', '2000000'],
  'steady-a': ['-mode', 'steady'],
  'steady-b': ['-mode', 'steady'],
};

describe.skipIf(!prometheusAvailable())('fleet: discovery and samples through a real Prometheus', () => {
  const targets: Record<string, RunningTarget> = {};
  let prom: RunningPrometheus;
  let daemon: RunningDaemon;
  let configPath: string;
  let dbPath = '';
  let lwUrl = '';
  let incidents: IncidentJson[] = [];

  const list = (): IncidentJson[] => {
    const r = cli(['incidents', '--json', '--config', configPath]);
    return r.code === 0 ? (JSON.parse(r.stdout) as { incidents: IncidentJson[] }).incidents : [];
  };
  const status = async (): Promise<StatusJson> => (await (await fetch(`${lwUrl}/api/status`)).json()) as StatusJson;

  beforeAll(async () => {
    const bin = buildPromTarget();
    for (const [name, args] of Object.entries(PROGRAMS)) targets[name] = await startTarget(args, bin);
    const lwPort = await freePort();
    lwUrl = `http://127.0.0.1:${lwPort}`;
    const groups = Object.entries(targets)
      .map(([app, t]) => `      - targets: ["${t.base.replace('http://', '')}"]\n        labels: { app: ${app} }`)
      .join('\n');
    prom = await startPrometheus(`  - job_name: go\n    static_configs:\n${groups}\n  - job_name: leakwatch\n    static_configs:\n      - targets: ["127.0.0.1:${lwPort}"]\n`);
    const dir = tempDir();
    dbPath = join(dir, 'lw.db');
    configPath = writeConfig(dir, prometheusFleetConfig({ database: dbPath, listen: `127.0.0.1:${lwPort}`, prometheus: prom.url, window: '20s', sourceTimeout: '2s' }));
    daemon = startDaemon(configPath);
    await daemon.waitForLog(/leakwatch started/);
    const started = Date.now();
    await eventually(() => {
      incidents = list();
      return incidents.some((i) => i.service === 'leaky' && i.metric === 'heap' && i.topGrowth.length > 0);
    }, 90_000, 'a heap incident for the leaky program').catch(() => undefined);
    // The steady programs get at least warm-up + two full windows.
    await sleep(Math.max(0, 45_000 - (Date.now() - started)));
    incidents = list();
  }, 180_000);

  afterAll(async () => {
    await daemon?.stop();
    await prom?.stop();
    await Promise.all(Object.values(targets).map((t) => t.stop()));
  });

  it('discovers the Go targets through Prometheus (not Prometheus itself, not leakwatch), with their labels and source', async () => {
    const s = await status();
    expect(s.services.map((x) => x.name).sort()).toEqual(['leaky', 'steady-a', 'steady-b']);
    const leaky = s.services.find((x) => x.name === 'leaky')!;
    expect(leaky.labels).toEqual({ app: 'leaky', instance: targets.leaky!.base.replace('http://', ''), job: 'go' });
    expect(leaky.source).toBe(`prometheus:${prom.url}`);
    expect(leaky.samplesFrom).toBe('prometheus');
    expect(leaky.samples).toBeGreaterThan(10);
  });

  it('flags the leaking program on the heap and names the leaking function from its pprof', () => {
    const heap = incidents.filter((i) => i.service === 'leaky' && i.metric === 'heap');
    expect(heap, JSON.stringify(incidents, null, 1) + daemon.logs().slice(-6000)).toHaveLength(1);
    expect(heap[0]!.topGrowth[0]!.function).toBe('main.(*cache).hold');
  });

  it('opens nothing for the steady programs', () => {
    expect(incidents.filter((i) => i.service !== 'leaky')).toEqual([]);
  });

  it('exports the verdicts on /metrics, as Prometheus reads them back', async () => {
    const open = await eventually(async () => {
      const r = await prom.query('leakwatch_incident_open{metric="heap"}');
      return r.length === 3 ? r : undefined;
    }, 10_000, 'verdicts in Prometheus');
    const byService = Object.fromEntries(open.map((r) => [r.metric.service, r.value[1]]));
    expect(byService).toEqual({ leaky: '1', 'steady-a': '0', 'steady-b': '0' });
    const growth = await prom.query('leakwatch_growth_bytes_per_hour{metric="heap"}');
    const own = await (await fetch(`${lwUrl}/metrics`)).text();
    expect(growth.map((r) => r.metric.service).sort(), own).toEqual(['leaky', 'steady-a', 'steady-b']);
    expect(Number(growth.find((r) => r.metric.service === 'leaky')!.value[1]), own).toBeGreaterThan(300e6);
  });

  it('Prometheus hung (SIGSTOP): each service records a timed-out query naming it; after SIGCONT its samples flow again', async () => {
    const before = Object.fromEntries((await status()).services.map((x) => [x.name, x.samples]));
    const pausedAt = Date.now();
    prom.pause();
    let timedOut: Record<string, string[]> = {};
    try {
      timedOut = await eventually(async () => {
        const store = Store.open(dbPath);
        try {
          const byService = Object.fromEntries(Object.keys(PROGRAMS).map((name) => [name, store.recentScrapes(name, 200)
            .filter((r) => r.at >= pausedAt)
            .flatMap((r) => ((r.failures ?? []) as { source: string; code: string; reason: string }[]).filter((f) => f.source === 'prometheus' && f.code === 'timeout'))
            .map((f) => f.reason)]));
          return Object.values(byService).every((l) => l.length > 0) ? byService : undefined;
        } finally {
          store.close();
        }
      }, 30_000, 'timed-out queries while Prometheus hangs');
    } finally {
      prom.resume();
    }
    for (const reasons of Object.values(timedOut)) {
      for (const r of reasons) expect(r).toMatch(new RegExp(`^prometheus ${prom.url.replace(/[.]/g, '\\.')} query_range .*timed out after 2000 ms`));
    }
    expect(daemon.proc.exitCode).toBeNull();
    await eventually(async () => {
      const st = await status();
      return st.services.every((x) => x.samples > (before[x.name] ?? 0) + 2) ? st : undefined;
    }, 30_000, 'samples again after SIGCONT');
  });

  it('Prometheus down: each service records a failed scrape naming it; the daemon keeps running', async () => {
    await prom.stop();
    const s = await eventually(async () => {
      const st = await status();
      return st.services.every((x) => x.lastScrapeOk === false) ? st : undefined;
    }, 30_000, 'failed scrapes after Prometheus stopped');
    // The reason names the Prometheus and its query (main's scrape log keeps each failure's own reason, no source prefix).
    for (const x of s.services) expect(x.lastScrapeError).toMatch(new RegExp(`^prometheus ${prom.url.replace(/[.]/g, '\\.')} query_range `));
    expect(daemon.proc.exitCode).toBeNull();
  });
});
