/**
 * Issue 13, acceptance 3: two shards over 100 discovered targets are disjoint, complete and stable
 * across restarts. Two real daemons run as the README's systemd setup runs them: one config file
 * (`database` and `http.listen` from the environment), the same file_sd discovery, and
 * LEAKWATCH_SHARD=0/2 and 1/2. Then both restart, the file listing the targets in reverse order:
 * each shard keeps exactly its services, and `status` reading each shard's database agrees.
 * (The schedule is hourly: the assignment is the subject, not the scraping.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/prometheus.js';

const TARGETS = Array.from({ length: 100 }, (_, i) => `127.0.0.1:${30_000 + i}`);
const ALL = TARGETS.map((t) => `api/${t}`).sort();

describe('fleet: two shards over 100 discovered targets (real daemons)', () => {
  let dir = '';
  let configPath = '';
  const running: RunningDaemon[] = [];
  const env = (index: number, port: number) => ({
    LEAKWATCH_SHARD: `${index}/2`,
    LEAKWATCH_DATABASE: join(dir, `shard-${index}`, 'leakwatch.db'),
    LEAKWATCH_LISTEN: `127.0.0.1:${port}`,
  });
  const ports: number[] = [];
  const writeTargets = (list: string[]) =>
    writeFileSync(join(dir, 'targets.json'), JSON.stringify(list.map((t) => ({ targets: [t], labels: { job: 'api' } }))));

  /** Starts both shards; the names each watches, from its /api/status. */
  async function startShards(): Promise<string[][]> {
    const names: string[][] = [];
    for (const index of [0, 1]) {
      const d = startDaemon(configPath, env(index, ports[index]!));
      running[index] = d;
      await d.waitForLog(/msg="discovery started"[^\n]*shard=\d\/2/);
      // HTTP binds after discovery: ask once the daemon says it has started.
      await d.waitForLog(/leakwatch started/);
      const s = (await (await fetch(`http://127.0.0.1:${ports[index]}/api/status`)).json()) as { services: { name: string }[] };
      names.push(s.services.map((x) => x.name).sort());
    }
    return names;
  }

  let first: string[][] = [];

  beforeAll(async () => {
    dir = tempDir();
    for (const i of [0, 1]) {
      mkdirSync(join(dir, `shard-${i}`));
      ports.push(await freePort());
    }
    writeTargets(TARGETS);
    configPath = writeConfig(dir, `database: \${LEAKWATCH_DATABASE:-${join(dir, 'unsharded.db')}}
http: { listen: "\${LEAKWATCH_LISTEN:-127.0.0.1:0}" }
defaults:
  schedule: "0 0 * * * *"
  profileSchedule: "0 0 * * * *"
discovery:
  refresh: 1h
  sources:
    - files: [targets.json]
`);
    first = await startShards();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((d) => d?.stop()));
  });

  it('the two shards are disjoint and together watch all 100 services, both a fair part', () => {
    const [a, b] = first as [string[], string[]];
    expect(a.filter((n) => b.includes(n))).toEqual([]);
    expect([...a, ...b].sort()).toEqual(ALL);
    expect(Math.min(a.length, b.length)).toBeGreaterThan(30);
    for (const [i, d] of running.entries()) expect(d.logs()).toMatch(new RegExp(`msg="discovery started"[^\\n]*services=${first[i]!.length} shard=${i}/2`));
  });

  it('each shard keeps exactly its services across a restart, with the targets listed in another order', async () => {
    for (const d of running) expect(await d.stop()).toBe(0);
    writeTargets([...TARGETS].reverse());
    expect(await startShards()).toEqual(first);
  });

  it('`status` reading each shard\'s own database lists that shard\'s services', () => {
    for (const index of [0, 1]) {
      const r = cli(['status', '--json', '--config', configPath], env(index, ports[index]!));
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { services: { name: string }[] }).services.map((s) => s.name).sort()).toEqual(first[index]);
    }
  });
});
