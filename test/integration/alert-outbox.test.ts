/**
 * Outages end to end: the real Slack client and nodemailer against receivers that fail for a
 * while and then recover. Every alert must arrive, and arrive once. The outbox clock is a fake
 * one the test advances, so backoff and Retry-After cost no real time.
 */
import BetterSqlite3 from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/alert/outbox.js';
import { createChannels } from '../../src/alert/registry.js';
import type { AlertEvent } from '../../src/alert/types.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { startSlackReceiver, startSmtpReceiver, type SlackReceiver, type SmtpReceiver } from '../helpers/receivers.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/pprof/out123');
const PROFILES = new Map([[41, readFileSync(join(FIXTURES, 'base.pb.gz'))], [57, readFileSync(join(FIXTURES, 'new.pb.gz'))]]);

function event(id: number, kind: AlertEvent['kind'] = 'open'): AlertEvent {
  return {
    kind,
    host: 'web-1',
    incident: {
      id, service: `svc${id}`, metric: 'heap', openedAt: 1_000, resolvedAt: kind === 'resolve' ? 2_000 : null,
      slopePerHour: 12_400_000, confidence: 0.99, current: 5e8, timeToLimitHours: null,
      topGrowth: [{ function: 'main.allocSmall', deltaBytes: 17_000_000, deltaObjects: 0, share: 0.9 }], topGoroutines: [],
      baselineProfileId: 41, currentProfileId: 57,
    },
  };
}

let clock = 1_000_000;
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
  clock = 1_000_000;
});

async function world() {
  const slack = await startSlackReceiver();
  const smtp = await startSmtpReceiver({ auth: { user: 'lw', pass: 'hunter2-secret' } });
  const db = new BetterSqlite3(':memory:');
  migrate(db, loadMigrations().filter((m) => m.name === 'outbox'));
  open.push(slack, smtp, db);
  const channels = createChannels({
    'ops-slack': { type: 'slack', name: 'ops-slack', webhookUrl: slack.url },
    'oncall-mail': { type: 'email', name: 'oncall-mail', smtp: smtp.url, from: 'lw@example.com', to: ['oncall@example.com'], cc: [] },
  });
  const outbox = new Outbox({
    db,
    channels,
    loadProfile: (id) => PROFILES.get(id),
    now: () => clock,
    backoff: { baseMs: 1000, capMs: 5000, maxAttempts: 50, maxAgeMs: 3_600_000 },
  });
  return { slack, smtp, outbox };
}

/** Runs passes, advancing the fake clock a second each, until nothing is left (bounded). */
async function drain(outbox: Outbox): Promise<number> {
  let passes = 0;
  while (outbox.depth() > 0 && passes < 300) {
    await outbox.deliverDue();
    clock += 1000;
    passes++;
  }
  return passes;
}

function ids(slack: SlackReceiver, smtp: SmtpReceiver) {
  return {
    slack: slack.received.map((r) => /svc(\d+)/.exec(r.body.text ?? '')![1]).map(Number).sort((a, b) => a - b),
    mail: smtp.messages.map((m) => /svc(\d+)/.exec(m.parsed.subject ?? '')![1]).map(Number).sort((a, b) => a - b),
  };
}

describe('outbox through outages', () => {
  it('Slack 503s and SMTP 4xx for a while, then recover: every alert arrives exactly once', async () => {
    const { slack, smtp, outbox } = await world();
    slack.fail(7, 503);
    smtp.fail(6, 451);
    for (let i = 1; i <= 5; i++) outbox.enqueue(event(i), ['ops-slack', 'oncall-mail']);
    outbox.enqueue(event(1, 'resolve'), ['ops-slack', 'oncall-mail']);
    outbox.enqueue(event(2), ['ops-slack', 'oncall-mail']); // a repeat: no new delivery
    const passes = await drain(outbox);
    expect(outbox.depth()).toBe(0);
    expect(passes).toBeGreaterThan(1);
    expect(ids(slack, smtp)).toEqual({ slack: [1, 1, 2, 3, 4, 5], mail: [1, 1, 2, 3, 4, 5] });
    expect(slack.requests).toBe(6 + 7);
    expect(smtp.attempts).toBe(6 + 6);
    const d = outbox.deliveries(1);
    expect(d.map((x) => [x.channel, x.event, x.status])).toEqual([
      ['ops-slack', 'open', 'sent'], ['oncall-mail', 'open', 'sent'], ['ops-slack', 'resolve', 'sent'], ['oncall-mail', 'resolve', 'sent'],
    ]);
    expect(Math.max(...[1, 2, 3, 4, 5].flatMap((i) => outbox.deliveries(i).map((x) => x.attempts)))).toBeGreaterThan(1);
    // Nothing a retry stored leaks the secrets.
    for (const i of [1, 2, 3, 4, 5]) for (const x of outbox.deliveries(i)) expect(x.lastError ?? '').not.toMatch(/hunter2|s3cr3t/);
    const resolved = smtp.messages.find((m) => m.parsed.subject?.startsWith('[leakwatch] RESOLVED'))!;
    expect(resolved.parsed.subject).toBe('[leakwatch] RESOLVED svc1: heap no longer growing');
    const opened = smtp.messages.find((m) => m.parsed.subject === '[leakwatch] svc3: heap growing 12.4 MB/h')!;
    expect(opened.parsed.attachments.map((a) => a.filename)).toEqual(['svc3-baseline-41.pb.gz', 'svc3-current-57.pb.gz']);
  });

  it('honours Slack 429 Retry-After', async () => {
    const { slack, outbox } = await world();
    slack.fail(1, 429, { 'retry-after': '30' });
    outbox.enqueue(event(1), ['ops-slack']);
    await outbox.deliverDue();
    expect(slack.requests).toBe(1);
    expect(outbox.deliveries(1)[0]).toMatchObject({ status: 'pending', lastError: expect.stringContaining('HTTP 429') });
    clock += 29_000;
    await outbox.deliverDue();
    expect(slack.requests).toBe(1);
    clock += 1_000;
    expect(await outbox.deliverDue()).toBe(1);
    expect(slack.requests).toBe(2);
    expect(slack.received).toHaveLength(1);
  });

  it('a revoked webhook fails permanently and is not retried; email still goes out', async () => {
    const { slack, smtp, outbox } = await world();
    slack.fail(1, 404, {}, 'no_service');
    outbox.enqueue(event(1), ['ops-slack', 'oncall-mail']);
    await drain(outbox);
    clock += 3_600_000;
    await outbox.deliverDue();
    expect(slack.requests).toBe(1);
    expect(smtp.messages).toHaveLength(1);
    expect(outbox.deliveries(1)).toMatchObject([
      { channel: 'ops-slack', status: 'failed', attempts: 1, lastError: expect.stringMatching(/HTTP 404: no_service/) },
      { channel: 'oncall-mail', status: 'sent', attempts: 1 },
    ]);
    expect(outbox.deliveries(1)[0].lastError).not.toContain('s3cr3t');
  });
});
