import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, Outbox, retryDelay, type OutboxOptions } from '../../src/alert/outbox.js';
import { DeliveryError, type AlertEvent, type AlertPayload, type Channel, type ChannelType } from '../../src/alert/types.js';
import type { Incident } from '../../src/model/incident.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';

/** Only this stage's migration: the outbox does not depend on the other tables. */
function outboxDb(path = ':memory:'): BetterSqlite3.Database {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  migrate(db, loadMigrations().filter((m) => m.name === 'outbox'));
  return db;
}

class Fake implements Channel {
  readonly target = 'fake://x';
  sent: AlertPayload[] = [];
  /** Failures for the next sends, in order. */
  failures: Error[] = [];
  delayMs = 0;
  constructor(readonly name: string, readonly type: ChannelType = 'slack') {}
  async send(p: AlertPayload): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const f = this.failures.shift();
    if (f) throw f;
    this.sent.push(p);
  }
}

function incident(id: number, over: Partial<Incident> = {}): Incident {
  return {
    id, service: 'checkout', metric: 'heap', openedAt: 1000, resolvedAt: null, slopePerHour: 1e7, confidence: 0.99,
    current: 5e8, timeToLimitHours: null, topGrowth: [], topGoroutines: [], ...over,
  };
}
const open = (id: number, over: Partial<Incident> = {}): AlertEvent => ({ kind: 'open', host: 'h', incident: incident(id, over) });

let clock = 1_000_000;
const dbs: BetterSqlite3.Database[] = [];
function setup(channels: Channel[], opts: Partial<OutboxOptions> = {}) {
  const db = opts.db ?? outboxDb();
  dbs.push(db);
  const outbox = new Outbox({
    db,
    channels: new Map(channels.map((c) => [c.name, c])),
    now: () => clock,
    random: () => 0.5,
    backoff: { baseMs: 1000, capMs: 60_000, maxAttempts: 5, maxAgeMs: 3_600_000 },
    ...opts,
  });
  return { db, outbox };
}
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  clock = 1_000_000;
});

describe('retryDelay', () => {
  const p = { ...DEFAULT_BACKOFF, baseMs: 1000, capMs: 10_000 };
  it.each([
    [1, 0, 500], [1, 1, 1000], [2, 0, 1000], [3, 0.5, 3000], [10, 1, 10_000], [10, 0, 5000],
  ])('attempt %d, random %d -> %d ms', (attempts, r, want) => expect(retryDelay(attempts, p, () => r)).toBe(want));

  it('a receiver Retry-After wins, within the cap for it', () => {
    expect(retryDelay(1, p, () => 0, 30_000)).toBe(30_000);
    expect(retryDelay(1, p, () => 0, 10 * 3_600_000)).toBe(p.maxRetryAfterMs);
  });
});

describe('Outbox', () => {
  it('writes the delivery before sending, sends it once per channel, and dedups repeats of an event', async () => {
    const a = new Fake('a');
    const b = new Fake('b');
    const { outbox } = setup([a, b]);
    expect(outbox.enqueue(open(1), ['a', 'b'])).toBe(2);
    expect(outbox.depth()).toBe(2);
    expect(outbox.deliveries(1)).toEqual([
      { channel: 'a', event: 'open', status: 'pending', attempts: 0 },
      { channel: 'b', event: 'open', status: 'pending', attempts: 0 },
    ]);
    expect(await outbox.deliverDue()).toBe(2);
    expect(await outbox.deliverDue()).toBe(0);
    expect(outbox.enqueue(open(1), ['a', 'b'])).toBe(0);
    expect(await outbox.deliverDue()).toBe(0);
    expect(a.sent).toHaveLength(1);
    expect(b.sent).toHaveLength(1);
    expect(outbox.depth()).toBe(0);
    expect(outbox.deliveries(1).map((d) => [d.status, d.attempts, d.sentAt])).toEqual([['sent', 1, clock], ['sent', 1, clock]]);
  });

  it('sends the event as it was when enqueued (a snapshot)', async () => {
    const a = new Fake('a');
    const { outbox } = setup([a]);
    const ev = open(1, { current: 111 });
    outbox.enqueue(ev, ['a']);
    ev.incident.current = 999;
    await outbox.deliverDue();
    expect(a.sent[0].event.incident.current).toBe(111);
  });

  it('open, each reminder and resolve of one incident are separate events', async () => {
    const a = new Fake('a');
    const { outbox } = setup([a]);
    outbox.enqueue(open(1), ['a']);
    outbox.enqueue({ kind: 'remind', host: 'h', incident: incident(1, { lastAlertAt: 5000 }) }, ['a']);
    outbox.enqueue({ kind: 'remind', host: 'h', incident: incident(1, { lastAlertAt: 5000 }) }, ['a']); // same reminder again
    outbox.enqueue({ kind: 'remind', host: 'h', incident: incident(1, { lastAlertAt: 9000 }) }, ['a']);
    outbox.enqueue({ kind: 'resolve', host: 'h', incident: incident(1, { resolvedAt: 10_000 }) }, ['a']);
    await outbox.deliverDue();
    expect(a.sent.map((p) => p.event.kind)).toEqual(['open', 'remind', 'remind', 'resolve']);
  });

  it('sends a resolve only after its open on that channel, and never where the open failed', async () => {
    const a = new Fake('a');
    const b = new Fake('b');
    b.failures.push(new DeliveryError('slack b: Slack refused the message: HTTP 404: no_service', 'http_status', false));
    a.failures.push(new DeliveryError('slack a: Slack answered HTTP 503', 'http_status', true));
    const { outbox } = setup([a, b]);
    outbox.enqueue(open(1), ['a', 'b']);
    outbox.enqueue({ kind: 'resolve', host: 'h', incident: incident(1, { resolvedAt: 2000 }) }, ['a', 'b']);
    outbox.enqueue({ kind: 'resolve', host: 'h', incident: incident(2, { resolvedAt: 2000 }) }, ['a']); // its open was never queued
    expect(await outbox.deliverDue()).toBe(0);
    // a's open waits to retry, so a's resolve waits behind it; b's open failed, so b's resolve is dropped.
    expect(outbox.deliveries(1).map((d) => [d.channel, d.event, d.status, d.lastError])).toEqual([
      ['a', 'open', 'pending', 'slack a: Slack answered HTTP 503'],
      ['b', 'open', 'failed', 'slack b: Slack refused the message: HTTP 404: no_service'],
      ['a', 'resolve', 'pending', undefined],
      ['b', 'resolve', 'failed', 'not sent: the open alert never reached this channel'],
    ]);
    expect(outbox.deliveries(2)).toMatchObject([{ status: 'failed', lastError: 'not sent: the open alert never reached this channel' }]);
    clock += 750;
    expect(await outbox.deliverDue()).toBe(2); // the open, then its resolve in the same pass
    expect(a.sent.map((p) => [p.event.incident.id, p.event.kind])).toEqual([[1, 'open'], [1, 'resolve']]);
    expect(b.sent).toEqual([]);
  });

  it('retries a retryable failure after the backoff, with the error recorded meanwhile', async () => {
    const a = new Fake('a');
    a.failures.push(new DeliveryError('slack a: Slack answered HTTP 503', 'http_status', true));
    const { outbox } = setup([a]);
    outbox.enqueue(open(1), ['a']);
    expect(await outbox.deliverDue()).toBe(0);
    expect(outbox.deliveries(1)[0]).toEqual({ channel: 'a', event: 'open', status: 'pending', attempts: 1, lastError: 'slack a: Slack answered HTTP 503' });
    clock += 749; // first step 1000 ms, equal jitter with random 0.5 -> 750 ms
    expect(await outbox.deliverDue()).toBe(0);
    clock += 1;
    expect(await outbox.deliverDue()).toBe(1);
    expect(a.sent).toHaveLength(1);
    expect(outbox.deliveries(1)[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('honours Retry-After', async () => {
    const a = new Fake('a');
    a.failures.push(new DeliveryError('rate limited', 'rate_limited', true, 30_000));
    const { outbox } = setup([a]);
    outbox.enqueue(open(1), ['a']);
    await outbox.deliverDue();
    clock += 29_999;
    expect(await outbox.deliverDue()).toBe(0);
    clock += 1;
    expect(await outbox.deliverDue()).toBe(1);
  });

  it('records a permanent failure and never retries it', async () => {
    const a = new Fake('a');
    a.failures.push(new DeliveryError('slack a: Slack refused the message: HTTP 404: no_service', 'http_status', false));
    const { outbox } = setup([a]);
    outbox.enqueue(open(1), ['a']);
    await outbox.deliverDue();
    clock += 10 * 3_600_000;
    expect(await outbox.deliverDue()).toBe(0);
    expect(a.sent).toHaveLength(0);
    expect(outbox.deliveries(1)[0]).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('HTTP 404') });
    expect(outbox.depth()).toBe(0);
  });

  it('gives up after max attempts', async () => {
    const a = new Fake('a');
    for (let i = 0; i < 10; i++) a.failures.push(new DeliveryError('down', 'network', true));
    const { outbox } = setup([a]);
    outbox.enqueue(open(1), ['a']);
    for (let i = 0; i < 10; i++) {
      await outbox.deliverDue();
      clock += 60_000;
    }
    expect(outbox.deliveries(1)[0]).toMatchObject({ status: 'failed', attempts: 5, lastError: 'gave up after 5 attempts: down' });
  });

  it('gives up when the alert is too old to matter', async () => {
    const a = new Fake('a');
    for (let i = 0; i < 3; i++) a.failures.push(new DeliveryError('down', 'network', true));
    const { outbox } = setup([a], { backoff: { baseMs: 1000, capMs: 60_000, maxAttempts: 100, maxAgeMs: 60_000 } });
    outbox.enqueue(open(1), ['a']);
    await outbox.deliverDue();
    clock += 59_800;
    await outbox.deliverDue();
    expect(outbox.deliveries(1)[0]).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/^gave up after 1 min: down/) });
  });

  it('refuses unknown channels at enqueue, writing nothing', () => {
    const { outbox } = setup([new Fake('a')]);
    expect(() => outbox.enqueue(open(1), ['a', 'nope'])).toThrow(/unknown channel\(s\) nope/);
    expect(outbox.depth()).toBe(0);
    expect(() => outbox.enqueue({ ...open(1), kind: 'test' }, ['a'])).toThrow(/test alerts/);
  });

  it('marks deliveries for a channel removed by a reload as failed', async () => {
    const { outbox } = setup([new Fake('a')]);
    outbox.enqueue(open(1), ['a']);
    outbox.applyConfig({ channels: new Map() });
    await outbox.deliverDue();
    expect(outbox.deliveries(1)[0]).toMatchObject({ status: 'failed', lastError: 'channel "a" is no longer configured' });
  });

  it('redacts secrets from unexpected errors before storing them', async () => {
    const a = new Fake('a');
    a.failures.push(new Error('connect failed to https://hooks.slack.com/services/T1/B2/TOPSECRET'));
    const { outbox } = setup([a]);
    outbox.enqueue(open(1), ['a']);
    await outbox.deliverDue();
    const err = outbox.deliveries(1)[0].lastError!;
    expect(err).not.toContain('TOPSECRET');
    expect(err).toContain('https://hooks.slack.com/***');
  });

  it('attaches stored profiles for email channels only', async () => {
    const mail = new Fake('m', 'email');
    const slack = new Fake('s', 'slack');
    const loaded: number[] = [];
    const { outbox } = setup([mail, slack], {
      loadProfile: (id) => (loaded.push(id), id === 12 ? Buffer.from('base') : undefined),
    });
    outbox.enqueue(open(1, { baselineProfileId: 12, currentProfileId: 15 }), ['m', 's']);
    await outbox.deliverDue();
    expect(mail.sent[0].profiles).toEqual({ baseline: { id: 12, data: Buffer.from('base') } });
    expect(slack.sent[0].profiles).toEqual({});
    expect(loaded).toEqual([12, 15]);
  });

  it('two workers on one database never send the same delivery twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-outbox-'));
    try {
      const file = join(dir, 'lw.db');
      const a1 = new Fake('a');
      const a2 = new Fake('a');
      a1.delayMs = a2.delayMs = 5;
      const w1 = setup([a1], { db: outboxDb(file), batchSize: 3 }).outbox;
      const w2 = setup([a2], { db: outboxDb(file), batchSize: 3 }).outbox;
      for (let i = 1; i <= 20; i++) w1.enqueue(open(i), ['a']);
      const [n1, n2] = await Promise.all([w1.deliverDue(), w2.deliverDue()]);
      expect(n1 + n2).toBe(20);
      const ids = [...a1.sent, ...a2.sent].map((p) => p.event.incident.id).sort((x, y) => x - y);
      expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(a1.sent.length).toBeGreaterThan(0);
      expect(a2.sent.length).toBeGreaterThan(0);
    } finally {
      for (const db of dbs.splice(0)) db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('retries a delivery left "sending" by a worker that died; leaves a live worker\'s claim alone until its lease ends', async () => {
    const a = new Fake('a');
    const { db, outbox } = setup([a], { leaseMs: 60_000 });
    outbox.enqueue(open(1), ['a']);
    outbox.enqueue(open(2), ['a']);
    const host = (await import('node:os')).hostname();
    const claim = db.prepare("UPDATE outbox SET status = 'sending', attempts = 1, claimed_by = ?, claimed_at = ? WHERE incident_id = ?");
    claim.run(`2147483646:${host}:dead`, clock, 1); // a pid that does not exist
    claim.run(`${process.pid}:${host}:other`, clock, 2); // alive: this very process, another worker
    expect(await outbox.deliverDue()).toBe(1);
    expect(a.sent.map((p) => p.event.incident.id)).toEqual([1]);
    expect(outbox.deliveries(1)[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(outbox.deliveries(2)[0]).toMatchObject({ status: 'pending' });
    clock += 60_000;
    expect(await outbox.deliverDue()).toBe(1);
    expect(a.sent.map((p) => p.event.incident.id)).toEqual([1, 2]);
  });

  it('start() delivers in the background and stop() waits for the pass in flight', async () => {
    const a = new Fake('a');
    a.delayMs = 20;
    const { outbox } = setup([a], { now: Date.now });
    outbox.start(10_000);
    outbox.enqueue(open(1), ['a']);
    const deadline = Date.now() + 5000;
    while (a.sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    outbox.enqueue(open(2), ['a']);
    await new Promise((r) => setImmediate(r));
    await outbox.stop();
    expect(a.sent.map((p) => p.event.incident.id)).toEqual([1, 2]);
    expect(outbox.depth()).toBe(0);
  });
});
