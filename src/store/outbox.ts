/**
 * SQLite side of the alert outbox (migrations/0003_outbox.sql). Only SQL lives here; the retry
 * policy and the sending are in src/alert/outbox.ts. Every statement is prepared once.
 */
import type { Database, Statement } from 'better-sqlite3';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';
export type OutboxEventKind = 'open' | 'remind' | 'resolve';

export interface OutboxRow {
  id: number;
  incidentId: number;
  eventKind: OutboxEventKind;
  eventSeq: number;
  channel: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  claimedBy: string | null;
  claimedAt: number | null;
  sentAt: number | null;
  lastError: string | null;
}

export interface NewDelivery {
  incidentId: number;
  eventKind: OutboxEventKind;
  eventSeq: number;
  channel: string;
  payload: string;
}

const COLUMNS = `id, incident_id AS incidentId, event_kind AS eventKind, event_seq AS eventSeq, channel, payload,
  status, attempts, created_at AS createdAt, next_attempt_at AS nextAttemptAt, claimed_by AS claimedBy,
  claimed_at AS claimedAt, sent_at AS sentAt, last_error AS lastError`;

export class OutboxStore {
  private readonly db: Database;
  private readonly insertStmt: Statement;
  private readonly claimStmt: Statement;
  private readonly sentStmt: Statement;
  private readonly rescheduleStmt: Statement;
  private readonly failStmt: Statement;
  private readonly sendingStmt: Statement;
  private readonly releaseStmt: Statement;
  private readonly byIncidentStmt: Statement;
  private readonly depthStmt: Statement;
  private readonly getStmt: Statement;
  private readonly releaseHeldStmt: Statement;
  private readonly openChannelsStmt: Statement;
  private readonly announcedStmt: Statement;

  constructor(db: Database) {
    this.db = db;
    this.insertStmt = db.prepare(`INSERT OR IGNORE INTO outbox
      (incident_id, event_kind, event_seq, channel, payload, status, attempts, created_at, next_attempt_at)
      VALUES (@incidentId, @eventKind, @eventSeq, @channel, @payload, 'pending', 0, @now, @dueAt)`);
    // One statement: SQLite serialises writers, so a row flips to 'sending' for exactly one claimer.
    // Per (incident, channel) rows go out in the order they were written (id order): a row waits
    // while an earlier one is unfinished, so a resolve never overtakes its open, even one that is
    // held for attribution or waiting to retry.
    this.claimStmt = db.prepare(`UPDATE outbox
      SET status = 'sending', claimed_by = @owner, claimed_at = @now, attempts = attempts + 1
      WHERE id IN (SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= @now
                     AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.incident_id = o.incident_id AND e.channel = o.channel
                                     AND e.id < o.id AND e.status IN ('pending', 'sending'))
                   ORDER BY o.next_attempt_at, o.id LIMIT @limit)
      RETURNING ${COLUMNS}`);
    // Unconditional on the owner: if it was delivered, it was delivered, whoever held the claim.
    this.sentStmt = db.prepare(`UPDATE outbox SET status = 'sent', sent_at = @now, claimed_by = NULL, claimed_at = NULL
      WHERE id = @id AND status <> 'sent'`);
    this.rescheduleStmt = db.prepare(`UPDATE outbox
      SET status = 'pending', next_attempt_at = @nextAt, last_error = @error, claimed_by = NULL, claimed_at = NULL
      WHERE id = @id AND status = 'sending' AND claimed_by = @owner`);
    this.failStmt = db.prepare(`UPDATE outbox
      SET status = 'failed', last_error = @error, claimed_by = NULL, claimed_at = NULL
      WHERE id = @id AND status IN ('sending', 'pending') AND (claimed_by IS NULL OR claimed_by = @owner)`);
    this.sendingStmt = db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE status = 'sending'`);
    this.releaseStmt = db.prepare(`UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_at = NULL,
      next_attempt_at = @now, last_error = COALESCE(last_error, @reason)
      WHERE id = @id AND status = 'sending' AND claimed_by IS @owner`);
    this.byIncidentStmt = db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE incident_id = ? ORDER BY id`);
    this.depthStmt = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'sending')`);
    this.getStmt = db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE id = ?`);
    // Only never-tried open rows: their payload is still the one written at open time.
    this.releaseHeldStmt = db.prepare(`UPDATE outbox SET payload = COALESCE(@payload, payload), next_attempt_at = MIN(next_attempt_at, @now)
      WHERE incident_id = @incidentId AND event_kind = 'open' AND status = 'pending' AND attempts = 0`);
    this.announcedStmt = db.prepare(`SELECT EXISTS (SELECT 1 FROM outbox WHERE incident_id = ? AND channel = ?
      AND event_kind IN ('open', 'remind') AND status = 'sent')`).pluck();
    this.openChannelsStmt = db.prepare(`SELECT DISTINCT channel FROM outbox WHERE incident_id = ? AND event_kind IN ('open', 'remind') ORDER BY channel`).pluck();
  }

  /** The channels the incident's open alert and reminders were written for: where its resolve goes when the service's config is gone. */
  openChannels(incidentId: number): string[] {
    return this.openChannelsStmt.all(incidentId) as string[];
  }

  /**
   * Writes the deliveries in one transaction (or inside the caller's); an existing (event,
   * channel) is left alone. `dueAt` holds them back until then (default: due now). Returns rows added.
   */
  insert(rows: readonly NewDelivery[], now: number, dueAt: number = now): number {
    return this.db.transaction(() => {
      let added = 0;
      for (const r of rows) added += this.insertStmt.run({ ...r, now, dueAt }).changes;
      return added;
    })();
  }

  /**
   * The incident's open deliveries not yet tried become due now, with `payload` (when given)
   * in place of the one written at open time. Returns rows released.
   */
  releaseHeldOpen(incidentId: number, now: number, payload?: string): number {
    return this.releaseHeldStmt.run({ incidentId, now, payload: payload ?? null }).changes;
  }

  /** Did an open or reminder for the incident reach this channel? */
  announced(incidentId: number, channel: string): boolean {
    return this.announcedStmt.get(incidentId, channel) === 1;
  }

  /** Claims up to `limit` due rows for `owner`; each claim counts as an attempt. */
  claimDue(now: number, limit: number, owner: string): OutboxRow[] {
    return this.claimStmt.all({ now, limit, owner }) as OutboxRow[];
  }

  markSent(id: number, now: number): boolean {
    return this.sentStmt.run({ id, now }).changes === 1;
  }

  /** Back to pending until `nextAt`; a no-op if the claim was lost meanwhile. */
  reschedule(id: number, owner: string, nextAt: number, error: string): boolean {
    return this.rescheduleStmt.run({ id, owner, nextAt, error }).changes === 1;
  }

  markFailed(id: number, owner: string | null, error: string): boolean {
    return this.failStmt.run({ id, owner, error }).changes === 1;
  }

  /**
   * Returns rows stuck in 'sending' to 'pending' when their worker is gone (`isGone(owner,
   * claimedAt)`), e.g. a process killed mid-send. Returns how many were released.
   */
  releaseAbandoned(now: number, isGone: (owner: string | null, claimedAt: number | null) => boolean, reason: string): number {
    const stuck = this.sendingStmt.all() as OutboxRow[];
    let released = 0;
    for (const r of stuck) {
      if (!isGone(r.claimedBy, r.claimedAt)) continue;
      released += this.releaseStmt.run({ id: r.id, owner: r.claimedBy, now, reason }).changes;
    }
    return released;
  }

  forIncident(incidentId: number): OutboxRow[] {
    return this.byIncidentStmt.all(incidentId) as OutboxRow[];
  }

  get(id: number): OutboxRow | undefined {
    return this.getStmt.get(id) as OutboxRow | undefined;
  }

  /** Deliveries not yet finished (pending or being sent). */
  depth(): number {
    return (this.depthStmt.get() as { n: number }).n;
  }
}
