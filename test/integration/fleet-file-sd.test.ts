/**
 * Issue 13, acceptance 2 and item 6: a file_sd file edited while the daemon runs adds and removes
 * services within one refresh, without a restart; a bad edit is reported with its path and the
 * last good list kept; a removed service's open incident resolves as `gone` after the grace
 * period (its alerts routed by a label rule), and the same name coming back continues the same history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { goAvailable, startTarget, type RunningTarget } from '../helpers/go.js';
import { cli, eventually, sleep, startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/prometheus.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/receivers.js';

interface StatusJson {
  services: { name: string; labels?: Record<string, string>; source?: string; samples: number }[];
}
interface IncidentJson {
  id: number;
  service: string;
  metric: string;
  resolvedAt: string | null;
  resolveReason?: string;
  baselineProfileId?: number;
  currentProfileId?: number;
}

describe.skipIf(!goAvailable())('fleet: file_sd edited while the daemon runs', () => {
  let leaky: RunningTarget;
  let steady: RunningTarget;
  let daemon: RunningDaemon;
  let slack: SlackReceiver;
  let dir = '';
  let configPath = '';
  let lwUrl = '';
  const addr = (t: RunningTarget) => t.base.replace('http://', '');
  const file = () => join(dir, 'targets', 'fleet.json');
  const writeTargets = (targets: RunningTarget[], env = 'test') =>
    writeFileSync(file(), JSON.stringify([{ targets: targets.map(addr), labels: { job: 'api', env } }]));

  let status: StatusJson = { services: [] };
  let samplesBeforeLeaving = 0;
  const names = () => status.services.map((s) => s.name).sort();
  const poll = async (want: string[], what: string) => {
    for (const started = Date.now(); ;) {
      // A kept-alive connection the server just closed fails once: ask again.
      status = (await fetch(`${lwUrl}/api/status`).then((r) => r.json(), () => status)) as StatusJson;
      if (JSON.stringify(names()) === JSON.stringify([...want].sort())) return;
      // Generous bound: one refresh is 2 s (and the folder watch reacts sooner).
      if (Date.now() - started > 15_000) throw new Error(`${what}: services are ${JSON.stringify(names())}\n${daemon.logs()}`);
      await sleep(200);
    }
  };
  const incidents = (): IncidentJson[] => {
    const r = cli(['incidents', '--json', '--config', configPath]);
    return r.code === 0 ? (JSON.parse(r.stdout) as { incidents: IncidentJson[] }).incidents : [];
  };

  beforeAll(async () => {
    leaky = await startTarget(['-mode', 'leak', '-rate', '2000000']);
    steady = await startTarget(['-mode', 'steady']);
    dir = tempDir();
    mkdirSync(join(dir, 'targets'));
    writeTargets([leaky]);
    slack = await startSlackReceiver();
    lwUrl = `http://127.0.0.1:${await freePort()}`;
    configPath = writeConfig(dir, `database: ${join(dir, 'lw.db')}
http: { listen: "${lwUrl.replace('http://', '')}" }
defaults:
  schedule: "* * * * * *"
  profileSchedule: "*/2 * * * * *"
  timeout: 2s
  window: 20s
  warmup: 5s
  thresholds: { heapGrowth: 300MB/h, sysGrowth: 1500MB/h, rssGrowth: 1500MB/h, goroutineGrowth: 2000/h }
channels:
  api-oncall: { type: slack, webhookUrl: "${slack.url}" }
rules:
  - match: { job: api }
    alert: [api-oncall]
discovery:
  refresh: 2s
  goneAfter: 3s
  sources:
    - files: [targets/*.json, targets/*.yaml]
`);
    daemon = startDaemon(configPath);
    await daemon.waitForLog(/leakwatch started/);
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await leaky?.stop();
    await steady?.stop();
    await slack?.close();
  });

  it('watches the services of the file at start, with labels and source', async () => {
    await poll([`api/${addr(leaky)}`], 'start');
    const s = status.services[0]!;
    expect(s.labels).toEqual({ job: 'api', env: 'test', instance: addr(leaky) });
    expect(s.source).toBe(`file:${file()}`);
    // The CLI reads the database: it lists the discovered service with its labels and source too.
    const cliStatus = JSON.parse(cli(['status', '--json', '--config', configPath]).stdout) as StatusJson;
    expect(cliStatus.services.map((x) => [x.name, x.labels, x.source])).toEqual([[s.name, s.labels, s.source]]);
  });

  it('a service added to the file is watched within one refresh, without a restart', async () => {
    writeTargets([leaky, steady]);
    await poll([`api/${addr(leaky)}`, `api/${addr(steady)}`], 'after adding');
    expect(daemon.logs()).toContain('service discovered');
  });

  it('a relabelled service shows its new labels within one refresh, on the API and the dashboard', async () => {
    writeTargets([leaky, steady], 'prod');
    for (const started = Date.now(); ;) {
      await poll([`api/${addr(leaky)}`, `api/${addr(steady)}`], 'after relabelling');
      if (status.services.every((x) => x.labels?.env === 'prod')) break;
      if (Date.now() - started > 15_000) throw new Error(`labels not updated: ${JSON.stringify(status)}`);
      await sleep(200);
    }
    expect(daemon.logs()).toContain('service changed');
    const page = await (await fetch(`${lwUrl}/`)).text();
    expect(page).toContain(`env=&quot;prod&quot;, instance=&quot;${addr(leaky)}&quot;, job=&quot;api&quot;`);
    writeTargets([leaky, steady]);
  });

  it('a bad edit is reported with the file\'s path and the last good list is kept', async () => {
    writeFileSync(file(), '[{"targets": [');
    await daemon.waitForLog(/not valid JSON.*keeping its last good targets/, 15_000);
    expect(daemon.logs()).toContain(file());
    await sleep(2_500); // one more refresh re-reads the bad file
    await poll([`api/${addr(leaky)}`, `api/${addr(steady)}`], 'after a bad edit');
  });

  it('a removed service stops being watched; its open incident resolves as gone after the grace period', async () => {
    const leakName = `api/${addr(leaky)}`;
    await eventually(() => incidents().some((i) => i.service === leakName && i.resolvedAt === null), 60_000, 'an open incident on the leaking service');
    await poll([leakName, `api/${addr(steady)}`], 'before removing');
    samplesBeforeLeaving = status.services.find((x) => x.name === leakName)?.samples ?? 0;
    writeTargets([steady]);
    await poll([`api/${addr(steady)}`], 'after removing');
    const gone = await eventually(() => {
      const mine = incidents().filter((i) => i.service === leakName);
      return mine.length > 0 && mine.every((i) => i.resolvedAt !== null) ? mine : undefined;
    }, 30_000, 'the gone service\'s incidents resolved');
    expect(gone.map((i) => i.resolveReason)).toEqual(gone.map(() => 'gone'));
    // The rule for job=api routed its alerts, without naming the service: the open, then the gone resolve.
    await slack.waitFor(2 * gone.length, 30_000);
    const sent = slack.received.map((r) => JSON.stringify(r.body)).filter((b) => b.includes(leakName));
    expect(sent.filter((b) => b.includes('leak closed (service gone)')).length, sent.join('\n')).toBe(gone.length);
    expect(sent.length).toBe(2 * gone.length);
    const cliStatus = JSON.parse(cli(['status', '--json', '--config', configPath]).stdout) as StatusJson;
    expect(cliStatus.services.map((x) => x.name)).toEqual([`api/${addr(steady)}`]);
    expect(daemon.proc.exitCode).toBeNull();
  }, 120_000);

  it('the commands an alert points to work on a discovered service, also after it left', () => {
    const leakName = `api/${addr(leaky)}`;
    const mine = incidents().filter((i) => i.service === leakName);
    const byCli = JSON.parse(cli(['incidents', '--json', '--service', leakName, '--config', configPath]).stdout) as { incidents: IncidentJson[] };
    expect(byCli.incidents.map((i) => i.id)).toEqual(mine.map((i) => i.id));
    // The alert's next step: `leakwatch diff SERVICE --from BASE --to CURRENT`.
    const withProfiles = mine.find((i) => i.baselineProfileId !== undefined && i.currentProfileId !== undefined);
    expect(withProfiles, JSON.stringify(mine)).toBeDefined();
    const d = cli(['diff', leakName, '--from', String(withProfiles!.baselineProfileId), '--to', String(withProfiles!.currentProfileId), '--json', '--config', configPath]);
    expect(d.code, d.stderr).toBe(0);
    expect((JSON.parse(d.stdout) as { rows: unknown[] }).rows.length).toBeGreaterThan(0);
    const e = cli(['explain', leakName, '--json', '--config', configPath]);
    expect(e.code, e.stderr).toBe(0);
    const t = cli(['export-trace', leakName, '--config', configPath]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout.trimEnd().split('\n').length).toBeGreaterThanOrEqual(samplesBeforeLeaving);
    // A name nobody discovered is still refused, pointing at status.
    const u = cli(['explain', 'api/nowhere:1', '--config', configPath]);
    expect(u.code).toBe(1);
    expect(u.stderr).toContain('unknown service "api/nowhere:1" (configured: none; discovered ones are listed by `leakwatch status`)');
  });

  it('the same name back continues the same history', async () => {
    const leakName = `api/${addr(leaky)}`;
    writeTargets([steady, leaky]);
    await poll([leakName, `api/${addr(steady)}`], 'after adding back');
    // Its samples from before it left are still there (a new history would start from one).
    const back = status.services.find((s) => s.name === leakName)!;
    expect(samplesBeforeLeaving).toBeGreaterThan(5);
    expect(back.samples).toBeGreaterThanOrEqual(samplesBeforeLeaving);
  });
});
