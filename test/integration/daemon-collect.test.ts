/**
 * Issue 2, acceptance 2: the real daemon against real Go programs on a one-second schedule; the
 * stored samples and profiles agree with what the programs report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { goAvailable, startTarget, type RunningTarget } from '../helpers/go.js';
import { cli, serviceYaml, sleep, startDaemon, tempDir, writeConfig } from '../helpers/daemon.js';
import { Store } from '../../src/store/index.js';
import { decodeProfile } from '../../src/profile/decode.js';
import { parseExpvar } from '../../src/collect/expvar.js';
import type { Profile } from '../../src/profile/model.js';

function inuseOf(p: Profile, fn: string): number {
  const i = p.sampleTypes.findIndex((t) => t.type === 'inuse_space');
  let sum = 0;
  for (const s of p.samples) if (s.locations.some((l) => l.lines.some((ln) => ln.function.name === fn))) sum += s.values[i]!;
  return sum;
}

function countOf(p: Profile, fn: string): number {
  let sum = 0;
  for (const s of p.samples) if (s.locations.some((l) => l.lines.some((ln) => ln.function.name === fn))) sum += s.values[0]!;
  return sum;
}

describe.skipIf(!goAvailable())('daemon collects from real Go programs', () => {
  const targets: Record<string, RunningTarget> = {};
  let dir: string;
  let configPath: string;
  let exitCode: number | null;

  beforeAll(async () => {
    targets.steady = await startTarget(['-mode', 'steady']);
    targets.leaky = await startTarget(['-mode', 'leak', '-rate', '3000000']);
    targets.parked = await startTarget(['-mode', 'goroutines', '-rate', '30']);
    dir = tempDir();
    const svc = (name: string) => serviceYaml(name, targets[name]!, [`expvar: ${targets[name]!.base}/debug/vars`]);
    configPath = writeConfig(
      dir,
      `database: ${join(dir, 'lw.db')}
defaults:
  schedule: "* * * * * *"
  profileSchedule: "*/2 * * * * *"
  timeout: 2s
  window: 1h
  warmup: 1m
services:
${['steady', 'leaky', 'parked'].map(svc).join('\n')}
`,
    );
    const daemon = startDaemon(configPath);
    await daemon.waitForLog(/leakwatch started/);
    await sleep(7_000);
    exitCode = await daemon.stop('SIGTERM');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(Object.values(targets).map((t) => t.stop()));
  });

  it('exits 0 on SIGTERM', () => {
    expect(exitCode).toBe(0);
  });

  it('stores one sample per second per service with MemStats that satisfy the runtime identities', () => {
    const store = Store.open(join(dir, 'lw.db'));
    try {
      for (const name of ['steady', 'leaky', 'parked']) {
        const samples = store.samples(name);
        expect(samples.length, name).toBeGreaterThanOrEqual(4);
        expect(samples.length, name).toBeLessThanOrEqual(9);
        for (const s of samples) {
          expect(s.sys).toBe(s.heapSys! + s.stackSys! + s.mspanSys! + s.mcacheSys! + s.buckHashSys! + s.gcSys! + s.otherSys!);
          expect(s.heapSys).toBe(s.heapInuse! + s.heapIdle!);
          expect(s.rss).toBeGreaterThan(0);
          expect(s.pid).toBe(targets[name]!.pid);
        }
        const times = samples.map((s) => s.t);
        for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThan(500);
      }
    } finally {
      store.close();
    }
  });

  it('agrees with what each program reports afterwards', async () => {
    const store = Store.open(join(dir, 'lw.db'));
    try {
      for (const [name, t] of Object.entries(targets)) {
        const now = parseExpvar(await (await fetch(`${t.base}/debug/vars`)).text());
        const last = store.latestSample(name)!;
        expect(now.totalAlloc!).toBeGreaterThanOrEqual(last.totalAlloc!);
        expect(now.numGC!).toBeGreaterThanOrEqual(last.numGC!);
        expect(last.processStart).toBeGreaterThan(Date.now() - 120_000);
      }
      const leaky = store.samples('leaky');
      // ~3 MB/s kept for several seconds: the live heap grows by megabytes.
      expect(leaky.at(-1)!.heapAlloc! - leaky[0]!.heapAlloc!).toBeGreaterThan(5e6);
      const parked = store.samples('parked');
      expect(parked.at(-1)!.goroutines! - parked[0]!.goroutines!).toBeGreaterThan(60);
      const text = await (await fetch(`${targets.parked!.base}/debug/pprof/goroutine?debug=1`)).text();
      const total = Number(/total (\d+)/.exec(text)![1]);
      expect(parked.at(-1)!.goroutines!).toBeLessThanOrEqual(total);
    } finally {
      store.close();
    }
  });

  it('stores heap and goroutine profiles that show the leaking code', () => {
    const store = Store.open(join(dir, 'lw.db'));
    try {
      const heaps = store.listProfiles('leaky', { kind: 'heap' });
      expect(heaps.length).toBeGreaterThanOrEqual(2);
      const first = decodeProfile(store.profileData(heaps[0]!.id)!);
      const last = decodeProfile(store.profileData(heaps.at(-1)!.id)!);
      expect(inuseOf(last, 'main.(*sessionStore).remember')).toBeGreaterThan(inuseOf(first, 'main.(*sessionStore).remember'));
      const gs = store.listProfiles('parked', { kind: 'goroutine' });
      const g = decodeProfile(store.profileData(gs.at(-1)!.id)!);
      expect(countOf(g, 'main.subscribe')).toBeGreaterThan(30);
    } finally {
      store.close();
    }
  });

  it('shows the services in status --json and exports traces', () => {
    const status = cli(['status', '--json', '--config', configPath]);
    expect(status.code).toBe(0);
    const { services } = JSON.parse(status.stdout) as { services: { name: string; samples: number; lastScrapeAt: string; latest: { goroutines: number } }[] };
    expect(services.map((s) => s.name)).toEqual(['steady', 'leaky', 'parked']);
    for (const s of services) {
      expect(s.samples).toBeGreaterThanOrEqual(4);
      expect(Date.parse(s.lastScrapeAt)).toBeGreaterThan(Date.now() - 60_000);
    }
    const trace = cli(['export-trace', 'leaky', '--config', configPath]);
    expect(trace.code).toBe(0);
    const lines = trace.stdout.trim().split('\n').map((l) => JSON.parse(l) as { t: number | string; heapAlloc: number });
    expect(lines.length).toBe(services[1]!.samples);
    expect(lines[0]!.heapAlloc).toBeGreaterThan(0);
  });
});
