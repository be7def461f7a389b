/**
 * The delivery worker. Every alert is a row before it is a request (src/store/outbox.ts), written
 * in the same transaction as the incident change that caused it (src/store/incident-events.ts).
 * A row is claimed, sent, and marked sent right after the receiver accepts it. Per incident and
 * channel, rows go out in the order they were written, and a resolve goes only where the open
 * (or a reminder) went.
 *
 * Delivery is at least once, and exactly once except in one window: a crash after the receiver
 * accepted a request and before the synchronous UPDATE that follows its answer, i.e. the
 * response's trip back plus a microtask, for every request in flight at the crash. That row is
 * still 'sending', so the next worker sends it again. Slack webhooks take no idempotency key, so
 * this window cannot be closed from this side; email carries a Message-ID stable per event
 * (alertMessageId), which many mail systems use to drop the second copy. A request the receiver
 * had not accepted is simply sent again (test/integration/outbox-crash.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from 'better-sqlite3';
import { OutboxStore, type OutboxEventKind, type OutboxRow } from '../store/outbox.js';
import { DEFAULT_BACKOFF, afterFailure, type BackoffPolicy } from './backoff.js';
import { DeliveryError, type AlertEvent, type AlertLog, type AlertPayload, type Channel, type ProfileAttachment } from './types.js';
import { redactAlertText } from './redact.js';

export interface DeliveryStatus {
  channel: string;
  event: OutboxEventKind;
  status: 'sent' | 'pending' | 'failed';
  attempts: number;
  lastError?: string;
  /** Unix ms. */
  sentAt?: number;
}

export interface OutboxOptions {
  db: Database;
  channels: Map<string, Channel>;
  /** Stored profile bytes by id, for email attachments. */
  loadProfile?: (id: number) => Buffer | undefined;
  now?: () => number;
  log?: AlertLog;
  backoff?: Partial<BackoffPolicy>;
  /** A 'sending' row older than this is presumed abandoned (its worker hung or died elsewhere). */
  leaseMs?: number;
  /** Rows claimed per round. */
  batchSize?: number;
  random?: () => number;
}

export { DEFAULT_BACKOFF, retryDelay, type BackoffPolicy } from './backoff.js';

const HOST = hostname();

/** An outbox row's payload: the event as JSON, with its dedup sequence number. */
export function outboxPayload(event: AlertEvent & { seq: number }): string {
  return JSON.stringify(event);
}

/** Is the worker that wrote this claim token certainly gone? Only provable for this host. */
function ownerIsDead(owner: string | null): boolean {
  if (!owner) return true;
  const [pid, host] = owner.split(':');
  if (host !== HOST || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const NOOP_LOG: AlertLog = { debug() {}, info() {}, warn() {}, error() {} };

export class Outbox {
  private readonly store: OutboxStore;
  private channels: Map<string, Channel>;
  private readonly loadProfile?: (id: number) => Buffer | undefined;
  private readonly now: () => number;
  private readonly log: AlertLog;
  private readonly policy: BackoffPolicy;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly random: () => number;
  /** Claim token: pid and host let a later process prove a crashed claimer is gone. */
  private readonly owner = `${process.pid}:${HOST}:${randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<number> | undefined;
  private again = false;

  constructor(opts: OutboxOptions) {
    this.store = new OutboxStore(opts.db);
    this.channels = opts.channels;
    this.loadProfile = opts.loadProfile;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? NOOP_LOG;
    this.policy = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.leaseMs = opts.leaseMs ?? 10 * 60_000;
    this.batchSize = opts.batchSize ?? 20;
    this.random = opts.random ?? Math.random;
  }

  /** A config reload swaps the channels; rows for a channel that disappeared are marked failed when due. */
  applyConfig(config: { channels: Map<string, Channel> }): void {
    this.channels = config.channels;
  }

  /**
   * Records one delivery per channel, before anything is sent. Enqueueing the same incident
   * event again is a no-op per channel, so callers may retry freely. Returns rows added.
   */
  enqueue(event: AlertEvent, channelNames: string[]): number {
    if (event.kind === 'test') throw new Error('outbox: test alerts are sent directly (testAlert), not queued');
    const unknown = channelNames.filter((n) => !this.channels.has(n));
    if (unknown.length > 0) throw new Error(`outbox: unknown channel(s) ${unknown.join(', ')}`);
    const seq = event.seq ?? (event.kind === 'remind' ? (event.incident.lastAlertAt ?? event.incident.openedAt) : 0);
    const payload = outboxPayload({ ...event, seq });
    const added = this.store.insert(
      [...new Set(channelNames)].map((channel) => ({ incidentId: event.incident.id, eventKind: event.kind as OutboxEventKind, eventSeq: seq, channel, payload })),
      this.now(),
    );
    if (added > 0 && this.timer) setImmediate(() => void this.tick());
    return added;
  }

  /** Sends every due delivery once; resolves with how many were sent. Passes never overlap. */
  deliverDue(): Promise<number> {
    const prev = this.pass ?? Promise.resolve(0);
    const next = prev.catch(() => 0).then(() => this.runPass());
    this.pass = next;
    void next.finally(() => {
      if (this.pass === next) this.pass = undefined;
    }).catch(() => {});
    return next;
  }

  start(intervalMs = 5_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
    setImmediate(() => void this.tick());
  }

  /** Stops the timer and waits for the pass in flight, so no claim is left behind. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pass?.catch(() => 0);
  }

  deliveries(incidentId: number): DeliveryStatus[] {
    return this.store.forIncident(incidentId).map((r) => ({
      channel: r.channel,
      event: r.eventKind,
      status: r.status === 'sending' ? 'pending' : r.status,
      attempts: r.attempts,
      ...(r.lastError ? { lastError: r.lastError } : {}),
      ...(r.sentAt !== null ? { sentAt: r.sentAt } : {}),
    }));
  }

  depth(): number {
    return this.store.depth();
  }

  /** Rows were written by someone else (the incident store): deliver soon, if started. */
  wake(): void {
    if (this.timer) setImmediate(() => void this.tick());
  }

  private async tick(): Promise<void> {
    // A tick queued (setImmediate) just before stop() must not touch a store that may be closed by now.
    if (!this.timer) return;
    // Never queue passes behind a slow one; but work that arrived during it gets one more pass.
    if (this.pass) {
      this.again = true;
      return;
    }
    do {
      this.again = false;
      try {
        await this.deliverDue();
      } catch (err) {
        this.log.error('alert delivery pass failed', { error: redactAlertText(String((err as Error)?.message ?? err)) });
      }
    } while (this.again && this.timer);
  }

  private async runPass(): Promise<number> {
    const passNow = this.now();
    const released = this.store.releaseAbandoned(
      passNow,
      (owner, claimedAt) => owner !== this.owner && (ownerIsDead(owner) || (claimedAt ?? 0) + this.leaseMs <= passNow),
      'interrupted while sending (worker stopped); retried',
    );
    if (released > 0) this.log.warn('retrying alert deliveries a stopped worker left unfinished', { count: released });
    let sent = 0;
    // Ends: each due row is claimed once per pass, since a rescheduled row is due after passNow.
    // Loops until nothing is claimable, so a resolve whose open was just sent goes in this pass too.
    for (;;) {
      const rows = this.store.claimDue(passNow, this.batchSize, this.owner);
      if (rows.length === 0) break;
      const results = await Promise.all(rows.map((r) => this.deliver(r)));
      sent += results.filter(Boolean).length;
    }
    return sent;
  }

  private async deliver(row: OutboxRow): Promise<boolean> {
    const where = { channel: row.channel, incident: row.incidentId, event: row.eventKind, attempt: row.attempts };
    const channel = this.channels.get(row.channel);
    if (!channel) {
      this.store.markFailed(row.id, this.owner, `channel "${row.channel}" is no longer configured`);
      this.log.error('alert channel no longer configured; delivery dropped', where);
      return false;
    }
    // Rows are claimed in order, so the open is settled (sent or failed) by now.
    if (row.eventKind === 'resolve' && !this.store.announced(row.incidentId, row.channel)) {
      this.store.markFailed(row.id, this.owner, 'not sent: the open alert never reached this channel');
      this.log.warn('resolve alert dropped: its open alert never reached this channel', where);
      return false;
    }
    let payload: AlertPayload;
    try {
      const event = JSON.parse(row.payload) as AlertEvent;
      payload = { event, profiles: channel.type === 'email' ? this.profilesFor(event) : {} };
    } catch (err) {
      this.store.markFailed(row.id, this.owner, `unreadable outbox row: ${(err as Error).message}`);
      this.log.error('unreadable alert row; delivery dropped', where);
      return false;
    }
    try {
      await channel.send(payload);
    } catch (err) {
      this.onFailure(row, err, where);
      return false;
    }
    // Synchronous and immediately after the receiver's "ok": the whole duplicate window.
    this.store.markSent(row.id, this.now());
    this.log.info('alert sent', where);
    return true;
  }

  private onFailure(row: OutboxRow, err: unknown, where: Record<string, unknown>): void {
    const d =
      err instanceof DeliveryError
        ? err
        : new DeliveryError(redactAlertText(`${row.channel}: ${String((err as Error)?.message ?? err)}`), 'unknown', true);
    const next = afterFailure(row, d, this.now(), this.policy, this.random);
    if (next.kind === 'retry') {
      this.store.reschedule(row.id, this.owner, next.at, d.message);
      this.log.warn('alert delivery failed; will retry', { ...where, error: d.message, retryInMs: next.delayMs });
      return;
    }
    this.store.markFailed(row.id, this.owner, next.error);
    if (next.kind === 'permanent') this.log.error('alert delivery failed permanently; not retried', { ...where, error: d.message });
    else this.log.error('alert delivery gave up', { ...where, error: d.message });
  }

  private profilesFor(event: AlertEvent): AlertPayload['profiles'] {
    const out: AlertPayload['profiles'] = {};
    if (!this.loadProfile) return out;
    const load = (id: number | undefined): ProfileAttachment | undefined => {
      if (id === undefined) return undefined;
      try {
        const data = this.loadProfile!(id);
        return data ? { id, data } : undefined;
      } catch (err) {
        this.log.warn('profile not attached to the alert', { profile: id, error: (err as Error).message });
        return undefined;
      }
    };
    const baseline = load(event.incident.baselineProfileId);
    const current = load(event.incident.currentProfileId);
    if (baseline) out.baseline = baseline;
    if (current) out.current = current;
    return out;
  }
}
