/**
 * An incident change and the alerts it causes, written in ONE transaction: the open (or
 * reminder, reopen, resolve) and its outbox rows land together or not at all, so no crash can leave
 * an incident whose alert was never queued, or an alert for a change that was rolled back.
 *
 * Attribution (capturing and diffing profiles) takes seconds, too long to keep a transaction
 * open. So an open's rows are written at once but held (not due) until `holdUntil`; when the
 * attribution is stored, the same transaction re-renders their message from the incident row
 * and makes them due. If attribution fails, or the daemon dies before it ends, the rows simply
 * fall due at `holdUntil` and go out without it. The hold is a time in the row, not a promise in
 * memory, so a restart needs no recovery step.
 */
import type { Database } from 'better-sqlite3';
import type { Trend } from '../model/trend.js';
import type { Incident, Metric, ResolveReason } from '../model/incident.js';
import { IncidentAlreadyOpenError, IncidentStore, type Attribution } from './incidents.js';
import { OutboxStore, type OutboxEventKind } from './outbox.js';

/** Where an event's alert goes and what it says. */
export interface AlertRows {
  channels: readonly string[];
  /** The outbox payload for the event, from the incident as it is after the change (the alert stage's format). */
  render(kind: OutboxEventKind, incident: Incident, seq: number): string;
}

export class IncidentEvents {
  readonly incidents: IncidentStore;
  readonly outbox: OutboxStore;

  constructor(private readonly db: Database) {
    this.incidents = new IncidentStore(db);
    this.outbox = new OutboxStore(db);
  }

  /**
   * Opens the incident, marks it alerted and queues its open alert, held until `holdUntil` for
   * attribution. Throws IncidentAlreadyOpenError (nothing written) when one is open.
   */
  open(service: string, metric: Metric, trend: Trend, at: number, note: string | undefined, alert: AlertRows, holdUntil: number = at): Incident {
    return this.write('opening incident', () => {
      const opened = this.incidents.open(service, metric, trend, at, note);
      this.incidents.markAlerted(opened.id, at);
      const inc = this.incidents.get(opened.id)!;
      this.queue('open', inc, 0, alert, at, holdUntil);
      return inc;
    });
  }

  /**
   * Stores the attribution (when there is one) and sends the held open alert now, re-rendered
   * with it. Call it also when attribution failed or found nothing: the alert goes at once.
   */
  attributed(id: number, attribution: Attribution | undefined, at: number, alert: AlertRows): void {
    this.write(`attaching profiles to incident ${id}`, () => {
      if (attribution) this.incidents.attach(id, attribution);
      const inc = this.incidents.get(id);
      this.outbox.releaseHeldOpen(id, at, inc && attribution ? alert.render('open', inc, 0) : undefined);
    });
  }

  /** New trend, reminder queued, incident marked alerted. A resolved incident gets no reminder. */
  remind(id: number, trend: Trend, at: number, alert: AlertRows): void {
    this.write(`reminding of incident ${id}`, () => {
      const before = this.incidents.get(id);
      if (!before || before.resolvedAt !== null) return;
      this.incidents.update(id, trend, at);
      this.incidents.markAlerted(id, at);
      // The reminder that follows the alert sent at lastAlertAt: re-running this event is a no-op.
      this.queue('remind', this.incidents.get(id)!, before.lastAlertAt ?? before.openedAt, alert, at);
    });
  }

  /**
   * Growth resumed soon after a resolve: the same incident opens again, announced as a reminder
   * (it follows the last alert, like one), queued after that resolve. An open incident is left alone.
   */
  reopen(id: number, trend: Trend, at: number, alert: AlertRows): void {
    this.write(`reopening incident ${id}`, () => {
      const before = this.incidents.get(id);
      if (!before || before.resolvedAt === null) return;
      this.incidents.reopen(id, trend, at);
      this.incidents.markAlerted(id, at);
      this.queue('remind', this.incidents.get(id)!, before.lastAlertAt ?? before.openedAt, alert, at);
    });
  }

  /** Resolves the incident and queues its resolve alert; an incident already resolved is left alone. */
  resolve(id: number, at: number, reason: ResolveReason, alert: AlertRows): void {
    this.write(`resolving incident ${id}`, () => {
      const before = this.incidents.get(id);
      if (!before || before.resolvedAt !== null) return;
      this.incidents.resolve(id, at, reason);
      // Keyed by its time: each resolve is its own event, should the incident ever be re-opened.
      this.queue('resolve', this.incidents.get(id)!, at, alert, at);
    });
  }

  /** One transaction; its error names the stage once (the incident store's own errors already do). */
  private write<T>(stage: string, fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      if (err instanceof IncidentAlreadyOpenError) throw err;
      const msg = (err as Error).message;
      throw new Error(msg.startsWith(stage) ? msg : `${stage}: ${msg}`);
    }
  }

  private queue(kind: OutboxEventKind, inc: Incident, seq: number, alert: AlertRows, at: number, dueAt: number = at): void {
    if (alert.channels.length === 0) return;
    const payload = alert.render(kind, inc, seq);
    const rows = [...new Set(alert.channels)].map((channel) => ({ incidentId: inc.id, eventKind: kind, eventSeq: seq, channel, payload }));
    this.outbox.insert(rows, at, dueAt);
  }
}
