/**
 * The daemon's life: SIGHUP reloads (and refuses a bad config), SIGKILL between writing an alert
 * and sending it loses nothing and sends nothing twice, a restart does not re-open incidents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, eventually, startDaemon, tempDir, writeConfig } from '../helpers/daemon.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/receivers.js';
import { startReplayTarget, type ReplayTarget } from '../../src/demo/target.js';
import { Store } from '../../src/store/index.js';

const recording = join(dirname(fileURLToPath(import.meta.url)), '../../config/demo/recording.jsonl.gz');

describe('daemon lifecycle', () => {
  let target: ReplayTarget;
  let slack: SlackReceiver;

  beforeAll(async () => {
    target = await startReplayTarget(recording);
    slack = await startSlackReceiver();
  });
  afterAll(async () => {
    await target?.close();
    await slack?.close();
  });

  const service = (name: string) => `  - name: ${name}\n    pprof: ${target.base}/debug/pprof\n    metrics: ${target.base}/metrics`;
  /** The removal tests' config up to `services:`: compressed time, every alert to a Slack receiver at `webhookUrl`. */
  const removalHead = (dir: string, webhookUrl: string) => `database: ${join(dir, 'lw.db')}
defaults:
  schedule: "* * * * * *"
  window: 40s
  warmup: 5s
  thresholds: { heapGrowth: 100MB/h }
  alert: [ops]
channels:
  ops: { type: slack, webhookUrl: "${webhookUrl}" }
services:
`;
  /** A service that stays in the config (its target is down: nothing of it resolves). */
  const KEPT = '  - name: kept\n    metrics: http://127.0.0.1:9/metrics\n';

  it('reloads on SIGHUP, and keeps running the old config when the new one is invalid', async () => {
    const dir = tempDir();
    const head = `database: ${join(dir, 'lw.db')}\ndefaults:\n  schedule: "* * * * * *"\n  window: 1h\nservices:\n`;
    const path = writeConfig(dir, head + service('first'));
    const daemon = startDaemon(path);
    try {
      await daemon.waitForLog(/leakwatch started/);
      writeFileSync(path, head + service('first') + '\n    thresholds: { heapGrowth: fast }\n');
      daemon.proc.kill('SIGHUP');
      await daemon.waitForLog(/reload refused[^\n]*heapGrowth/);
      const store = Store.open(join(dir, 'lw.db'));
      const before = store.sampleCount('first');
      await eventually(() => store.sampleCount('first') >= before + 2, 10_000, 'the old config to keep scraping');
      writeFileSync(path, head + service('first') + '\n' + service('second'));
      daemon.proc.kill('SIGHUP');
      await daemon.waitForLog(/configuration reloaded/);
      await eventually(() => store.sampleCount('second') >= 2, 10_000, 'the new service to be scraped');
      store.close();
      expect(await daemon.stop()).toBe(0);
    } finally {
      await daemon.stop();
    }
  }, 60_000);

  it('a service taken out of the config file on SIGHUP: logged as gone, its open incident resolved as gone with a resolve alert', async () => {
    const dir = tempDir();
    const own = await startSlackReceiver();
    const head = removalHead(dir, own.url);
    const path = writeConfig(dir, head + service('removed') + '\n' + KEPT);
    const daemon = startDaemon(path);
    try {
      await daemon.waitForLog(/incident opened[^\n]*service=removed/, 60_000);
      await own.waitFor(1, 30_000);
      writeFileSync(path, head + KEPT);
      daemon.proc.kill('SIGHUP');
      await daemon.waitForLog(/msg="service gone"[^\n]*service=removed source=config/);
      await daemon.waitForLog(/incidents of a gone service resolved[^\n]*service=removed/);
      const { incidents } = JSON.parse(cli(['incidents', '--json', '--config', path]).stdout) as { incidents: { service: string; resolvedAt: string | null; resolveReason?: string }[] };
      expect(incidents.length).toBeGreaterThan(0);
      expect(incidents.map((i) => [i.service, i.resolveReason])).toEqual(incidents.map(() => ['removed', 'gone']));
      // Each open incident's alert, then its resolve.
      await own.waitFor(2 * incidents.length, 30_000);
      const sent = own.received.map((r) => JSON.stringify(r.body));
      const resolves = sent.filter((b) => b.includes('leak closed (service gone)'));
      expect(resolves.length, sent.join('\n')).toBe(incidents.length);
      expect(resolves[0]).toContain('removed is no longer watched (it left the discovered fleet or the configuration)');
    } finally {
      expect(await daemon.stop()).toBe(0);
      await own.close();
    }
  }, 120_000);

  it('a service taken out of the config while the daemon was down: at the next start its open incident resolves as gone, the resolve sent where the open went', async () => {
    const dir = tempDir();
    const own = await startSlackReceiver();
    const head = removalHead(dir, own.url);
    const path = writeConfig(dir, head + service('left') + '\n' + KEPT);
    const first = startDaemon(path);
    try {
      await first.waitForLog(/incident opened[^\n]*service=left/, 60_000);
      await own.waitFor(1, 30_000);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    writeFileSync(path, head + KEPT);
    const second = startDaemon(path);
    try {
      await second.waitForLog(/msg="service gone"[^\n]*service=left source=history/);
      await second.waitForLog(/incidents of a gone service resolved[^\n]*service=left/);
      const { incidents } = JSON.parse(cli(['incidents', '--json', '--config', path]).stdout) as { incidents: { service: string; resolveReason?: string }[] };
      expect(incidents.length).toBeGreaterThan(0);
      expect(incidents.map((i) => [i.service, i.resolveReason])).toEqual(incidents.map(() => ['left', 'gone']));
      await own.waitFor(2 * incidents.length, 30_000);
      const resolves = own.received.map((r) => JSON.stringify(r.body)).filter((b) => b.includes('leak closed (service gone)'));
      expect(resolves.length).toBe(incidents.length);
    } finally {
      expect(await second.stop()).toBe(0);
      await own.close();
    }
  }, 120_000);

  it('delivers an alert written before a SIGKILL exactly once after restart, without re-opening', async () => {
    const dir = tempDir();
    const path = writeConfig(
      dir,
      `database: ${join(dir, 'lw.db')}
defaults:
  schedule: "* * * * * *"
  profileSchedule: "*/5 * * * * *"
  window: 40s
  warmup: 5s
  thresholds: { heapGrowth: 100MB/h }
  alert: [ops]
channels:
  ops: { type: slack, webhookUrl: "${slack.url}" }
services:
${service('checkout')}
`,
    );
    slack.hang(1);
    const first = startDaemon(path);
    await first.waitForLog(/incident opened/, 60_000);
    await eventually(() => slack.requests >= 1, 15_000, 'the alert to reach the receiver');
    await first.stop('SIGKILL');
    expect(slack.received).toHaveLength(0);

    const second = startDaemon(path);
    try {
      await slack.waitFor(1, 30_000);
      const r = cli(['incidents', '--json', '--config', path]);
      const { incidents } = JSON.parse(r.stdout) as { incidents: { id: number; resolvedAt: string | null; deliveries: { status: string; attempts: number }[] }[] };
      expect(incidents).toHaveLength(1);
      expect(incidents[0]!.resolvedAt).toBeNull();
      expect(incidents[0]!.deliveries).toEqual([expect.objectContaining({ status: 'sent', attempts: 2 })]);
      expect(JSON.stringify(slack.received[0]!.body)).toContain(`incident #${incidents[0]!.id}`);
      await new Promise((r) => setTimeout(r, 4000));
      expect(slack.received).toHaveLength(1);
      expect(second.logs()).not.toMatch(/incident opened/);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 120_000);
});
