/**
 * Issue 3, acceptance 1, and issue 4, acceptance 3: real Go programs leaking at accelerated
 * rates under the real daemon (seconds-scale window and warm-up). Heap, goroutine and off-heap
 * (mmap) growth each open the right incident with the leaking code first; steady, plateau and
 * batch programs open none; the heap leak's Slack post and email both name the leaking function.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { goAvailable, startTarget, type RunningTarget } from '../helpers/go.js';
import { cli, eventually, serviceYaml, sleep, startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';
import { startSlackReceiver, startSmtpReceiver, type SlackReceiver, type SmtpReceiver } from '../helpers/receivers.js';

interface IncidentJson {
  id: number;
  service: string;
  metric: string;
  resolvedAt: string | null;
  note?: string;
  topGrowth: { function: string; deltaBytes: number }[];
  topGoroutines: { function: string; delta: number }[];
  deliveries: { channel: string; status: string; attempts: number }[];
}

const PROGRAMS: Record<string, string[]> = {
  leaky: ['-mode', 'leak', '-rate', '2000000'],
  parked: ['-mode', 'goroutines', '-rate', '20'],
  offheap: ['-mode', 'mmap', '-rate', '2000000'],
  steady: ['-mode', 'steady'],
  plateau: ['-mode', 'plateau', '-rate', '4000000', '-cap', '8000000'],
  batch: ['-mode', 'batch', '-cap', '16000000', '-period', '3s'],
};

describe.skipIf(!goAvailable())('live detection on real Go programs', () => {
  const targets: Record<string, RunningTarget> = {};
  let slack: SlackReceiver;
  let smtp: SmtpReceiver;
  let daemon: RunningDaemon;
  let configPath: string;
  let env: Record<string, string> = {};
  let incidents: IncidentJson[] = [];

  const list = (): IncidentJson[] => {
    const r = cli(['incidents', '--json', '--config', configPath], env);
    return r.code === 0 ? (JSON.parse(r.stdout) as { incidents: IncidentJson[] }).incidents : [];
  };

  beforeAll(async () => {
    for (const [name, args] of Object.entries(PROGRAMS)) targets[name] = await startTarget(args);
    slack = await startSlackReceiver();
    smtp = await startSmtpReceiver({ auth: { user: 'leakwatch', pass: 'smtp-s3cret' } });
    const dir = tempDir();
    const services = Object.entries(targets).map(([name, t]) => serviceYaml(name, t, name === 'leaky' ? ['alert: [ops-slack, oncall-mail]'] : []));
    configPath = writeConfig(
      dir,
      `database: ${join(dir, 'lw.db')}
defaults:
  schedule: "* * * * * *"
  profileSchedule: "*/2 * * * * *"
  timeout: 2s
  window: 20s
  warmup: 5s
  cooldown: 1h
  thresholds:
    # The leaks run at ~7 GB/h; a young process's RSS settles by a few hundred MB/h at this time scale.
    heapGrowth: 300MB/h
    sysGrowth: 1500MB/h
    rssGrowth: 1500MB/h
    goroutineGrowth: 2000/h
channels:
  ops-slack: { type: slack, webhookUrl: "\${SLACK_URL}" }
  oncall-mail: { type: email, smtp: "\${SMTP_URL}", from: "leakwatch@example.com", to: ["oncall@example.com"] }
services:
${services.join('\n')}
`,
    );
    env = { SLACK_URL: slack.url, SMTP_URL: smtp.url };
    daemon = startDaemon(configPath, env);
    await daemon.waitForLog(/leakwatch started/);
    const started = Date.now();
    await eventually(
      () => {
        incidents = list();
        const open = (svc: string, metric: string) => incidents.some((i) => i.service === svc && i.metric === metric && i.topGrowth && i.topGoroutines);
        return open('leaky', 'heap') && open('parked', 'goroutines') && open('offheap', 'rss');
      },
      90_000,
      'heap, goroutine and off-heap incidents',
    ).catch(() => undefined);
    // Negative programs get at least warm-up + two full windows.
    await sleep(Math.max(0, 45_000 - (Date.now() - started)));
    incidents = list();
    await Promise.all([slack.waitFor(1, 20_000), smtp.waitFor(1, 20_000)]).catch(() => undefined);
  }, 180_000);

  afterAll(async () => {
    await daemon?.stop();
    await Promise.all(Object.values(targets).map((t) => t.stop()));
    await slack?.close();
    await smtp?.close();
  });

  const of = (svc: string) => incidents.filter((i) => i.service === svc);

  it('opens a heap incident for the leak, naming the leaking function first', () => {
    const heap = of('leaky').filter((i) => i.metric === 'heap');
    expect(heap).toHaveLength(1);
    expect(heap[0]!.topGrowth[0]!.function).toBe('main.(*sessionStore).remember');
    expect(heap[0]!.topGrowth[0]!.deltaBytes).toBeGreaterThan(1e6);
  });

  it('opens a goroutine incident naming where the goroutines block', () => {
    const g = of('parked').filter((i) => i.metric === 'goroutines');
    expect(g).toHaveLength(1);
    expect(g[0]!.topGoroutines[0]!.function).toBe('main.subscribe');
    expect(g[0]!.topGoroutines[0]!.delta).toBeGreaterThan(20);
  });

  it('opens an RSS incident for off-heap growth and does not blame heap functions', () => {
    const rss = of('offheap').filter((i) => i.metric === 'rss');
    expect(rss).toHaveLength(1);
    expect(rss[0]!.note ?? '').toMatch(/heap/i);
    expect(rss[0]!.topGrowth).toEqual([]);
    expect(of('offheap').some((i) => i.metric === 'heap')).toBe(false);
  });

  it('opens nothing for steady, plateau and batch programs', () => {
    expect(of('steady')).toEqual([]);
    expect(of('plateau')).toEqual([]);
    expect(of('batch')).toEqual([]);
  });

  it('posts to Slack and mails on-call, both naming the leaking function, once each', async () => {
    expect(slack.received.map((r) => r.body.text)).toHaveLength(1);
    const post = JSON.stringify(slack.received[0]!.body);
    expect(post).toContain('main.(*sessionStore).remember');
    expect(post).toContain('leaky');
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!.parsed;
    expect(mail.subject).toMatch(/leaky.*heap/);
    expect(mail.text).toContain('main.(*sessionStore).remember');
    expect(mail.html || '').toContain('main.(*sessionStore).remember');
    expect(mail.attachments.map((a) => a.filename).sort()).toEqual([
      expect.stringMatching(/^leaky-baseline-\d+\.pb\.gz$/),
      expect.stringMatching(/^leaky-current-\d+\.pb\.gz$/),
    ]);
    const heap = of('leaky').find((i) => i.metric === 'heap')!;
    expect(heap.deliveries.map((d) => `${d.channel}:${d.status}`).sort()).toEqual(['oncall-mail:sent', 'ops-slack:sent']);
    // Secrets stay out of the log.
    expect(daemon.logs()).not.toContain('smtp-s3cret');
    expect(daemon.logs()).not.toContain('s3cr3tWebhookToken');
  });
});
