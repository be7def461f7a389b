/**
 * The real daemon, SIGKILLed at named points of an incident's life (LEAKWATCH_CRASH_AFTER_LOG
 * kills it right after a given log line), restarted each time over the same database, alerting
 * two real Slack webhooks: every event (open, resolve) reaches each channel exactly once, and
 * never a resolve before its open.
 */
import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/receivers.js';
import { loadRecording, pick } from '../../src/demo/target.js';
import { openDatabase } from '../../src/store/db.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { OutboxStore, type OutboxRow } from '../../src/store/outbox.js';
import type { Incident } from '../../src/model/incident.js';

const recording = join(dirname(fileURLToPath(import.meta.url)), '../../config/demo/recording.jsonl.gz');

/**
 * The demo recording of a leaking Go program, played once (it then stays at its last second, so
 * no loop restarts it behind the test's back); restart() makes it a freshly started, idle process
 * (its first second, with a new process start time).
 */
interface LeakingTarget {
  base: string;
  restart(): void;
  close(): Promise<void>;
}

async function startLeakingTarget(): Promise<LeakingTarget> {
  const byPath = loadRecording(recording);
  const end = Math.max(...[...byPath.values()].map((l) => l[l.length - 1]!.at));
  const started = performance.now();
  let restartedAt: number | undefined;
  const served = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const list = byPath.get(req.url ?? '/');
    if (!list) {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    let entry = pick(list, restartedAt === undefined ? Math.min(performance.now() - started, end) : 0);
    if (restartedAt === undefined && /^\/debug\/pprof\/\w+$/.test(req.url ?? '')) {
      // A live program's heap profiles taken seconds apart differ; the recording has one every 5 s,
      // so two captures within one of its slots would be identical and the diff empty. Each capture
      // gets a later recorded profile than the one before (the last one stays).
      const i = Math.max(list.indexOf(entry), Math.min(list.length - 1, (served.get(req.url!) ?? -1) + 1));
      served.set(req.url!, i);
      entry = list[i]!;
    }
    let body = entry.body;
    if (restartedAt !== undefined && req.url === '/metrics') {
      body = Buffer.from(body.toString('utf8').replace(/^process_start_time_seconds .*$/m, `process_start_time_seconds ${restartedAt / 1000}`));
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    restart: () => (restartedAt = Date.now()),
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

type Kind = 'open' | 'remind' | 'resolve';

/** What each receiver got, as [incident id, event] in arrival order. */
function events(slack: SlackReceiver): [number, Kind][] {
  return slack.received.map((r) => {
    const body = JSON.stringify(r.body);
    const id = Number(/incident #(\d+)/.exec(body)?.[1]);
    const kind: Kind = /RESOLVED/.test(body) ? 'resolve' : /Still leaking/.test(body) ? 'remind' : 'open';
    return [id, kind];
  });
}

/** A daemon config over a fresh database, two Slack channels, and ways to crash it and read what it left. */
async function setup() {
  const target = await startLeakingTarget();
  const ops = await startSlackReceiver();
  const oncall = await startSlackReceiver();
  const dir = tempDir('lw-outbox-crash-');
  const db = join(dir, 'lw.db');
  const config = writeConfig(
    dir,
    `database: ${db}
defaults:
  schedule: "* * * * * *"
  profileSchedule: "*/5 * * * * *"
  window: 40s
  warmup: 5s
  thresholds: { heapGrowth: 100MB/h, sysGrowth: off, rssGrowth: off, goroutineGrowth: off }
  attributionWait: 2s
  alert: [ops, oncall]
channels:
  ops: { type: slack, webhookUrl: "${ops.url}" }
  oncall: { type: slack, webhookUrl: "${oncall.url}" }
services:
  - name: checkout
    pprof: ${target.base}/debug/pprof
    metrics: ${target.base}/metrics
`,
  );
  return {
    target,
    ops,
    oncall,
    config,
    /** Runs the daemon until it kills itself right after logging `line`; returns its log. */
    async crashAfter(line: string): Promise<string> {
      const d = startDaemon(config, { LEAKWATCH_CRASH_AFTER_LOG: line });
      const signal = await exitOf(d, 150_000);
      expect(signal, d.logs()).toBe('SIGKILL');
      expect(d.logs()).toContain(line);
      return d.logs();
    },
    /** The database as the last daemon left it. */
    state(): { incidents: Incident[]; rows: OutboxRow[] } {
      const h = openDatabase(db);
      try {
        const incidents = new IncidentStore(h).list();
        return { incidents, rows: incidents.flatMap((i) => new OutboxStore(h).forIncident(i.id)) };
      } finally {
        h.close();
      }
    },
    async close(): Promise<void> {
      await target.close();
      await ops.close();
      await oncall.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('alerts across daemon crashes', () => {
  it('killed after the open (before attribution), after each delivery, after the resolve: each event once per channel', async () => {
    const t = await setup();
    const { ops, oncall } = t;
    try {
      // (a) Killed right after "incident opened": attribution never ran and nothing was sent,
      // but the open alert was written with the incident.
      expect(await t.crashAfter('msg="incident opened"')).not.toMatch(/incident attributed/);
      const opened = t.state();
      expect(opened.incidents).toEqual([expect.objectContaining({ resolvedAt: null, lastAlertAt: expect.any(Number), topGrowth: [] })]);
      const id = opened.incidents[0]!.id;
      expect(opened.rows.map((r) => [r.channel, r.eventKind, r.status])).toEqual([['ops', 'open', 'pending'], ['oncall', 'open', 'pending']]);
      expect(ops.requests + oncall.requests).toBe(0);

      // (c) Killed right after each delivery. oncall holds its first request unanswered, so the
      // kill after ops' "alert sent" finds oncall's delivery in flight: not sent, so sent again later.
      oncall.hang(1);
      await t.crashAfter('msg="alert sent"');
      expect(events(ops)).toEqual([[id, 'open']]);
      expect(events(oncall)).toEqual([]);
      await t.crashAfter('msg="alert sent"');
      expect(events(oncall)).toEqual([[id, 'open']]);
      // Without attribution (the daemon that would have attributed was killed), after attributionWait.
      expect(JSON.stringify(ops.received[0]!.body)).not.toMatch(/Top growth/);

      // The target restarts, so the incident resolves: killed right after "incident resolved",
      // then right after each resolve delivery.
      t.target.restart();
      await t.crashAfter('msg="incident resolved"');
      expect(t.state().rows.filter((r) => r.eventKind === 'resolve').map((r) => [r.channel, r.status])).toEqual([['ops', 'pending'], ['oncall', 'pending']]);
      ops.hang(1);
      await t.crashAfter('msg="alert sent"');
      await t.crashAfter('msg="alert sent"');

      // A last, clean run finds nothing left to send.
      const last = startDaemon(t.config);
      await last.waitForLog(/leakwatch started/);
      expect(await last.stop()).toBe(0);
      expect(t.state().rows.map((r) => [r.channel, r.eventKind, r.status])).toEqual([
        ['ops', 'open', 'sent'], ['oncall', 'open', 'sent'], ['ops', 'resolve', 'sent'], ['oncall', 'resolve', 'sent'],
      ]);
      expect(events(ops)).toEqual([[id, 'open'], [id, 'resolve']]);
      expect(events(oncall)).toEqual([[id, 'open'], [id, 'resolve']]);
    } finally {
      await t.close();
    }
  }, 900_000);

  it('killed right after attribution: the open goes at once after the restart, naming the growing function, then the resolve', async () => {
    const t = await setup();
    const { ops, oncall } = t;
    try {
      // (b) Killed right after "incident attributed": the attribution and the released alert
      // were committed together, nothing was sent.
      await t.crashAfter('msg="incident attributed"');
      const attributed = t.state();
      expect(attributed.incidents).toEqual([expect.objectContaining({ resolvedAt: null })]);
      const inc = attributed.incidents[0]!;
      expect(inc.topGrowth.length).toBeGreaterThan(0);
      expect(attributed.rows.map((r) => [r.channel, r.eventKind, r.status])).toEqual([['ops', 'open', 'pending'], ['oncall', 'open', 'pending']]);
      for (const r of attributed.rows) expect(JSON.parse(r.payload).incident.topGrowth).toEqual(inc.topGrowth);
      expect(ops.requests + oncall.requests).toBe(0);

      const d = startDaemon(t.config);
      try {
        await ops.waitFor(1, 30_000);
        await oncall.waitFor(1, 30_000);
        for (const slack of [ops, oncall]) expect(JSON.stringify(slack.received[0]!.body)).toContain(inc.topGrowth[0]!.function);
        t.target.restart();
        await ops.waitFor(2, 30_000);
        await oncall.waitFor(2, 30_000);
      } finally {
        expect(await d.stop()).toBe(0);
      }
      expect(events(ops)).toEqual([[inc.id, 'open'], [inc.id, 'resolve']]);
      expect(events(oncall)).toEqual([[inc.id, 'open'], [inc.id, 'resolve']]);
      expect(t.state().rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    } finally {
      await t.close();
    }
  }, 600_000);
});

/** Resolves with the daemon's exit signal (or code); kills it and fails after `timeoutMs`. */
function exitOf(d: RunningDaemon, timeoutMs: number): Promise<NodeJS.Signals | number | null> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      d.proc.kill('SIGKILL');
      fail(new Error(`the daemon did not reach its crash point in ${timeoutMs} ms; log:\n${d.logs()}`));
    }, timeoutMs);
    d.proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      ok(signal ?? code);
    });
  });
}
