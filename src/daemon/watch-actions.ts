/**
 * Carries out a watch's planned actions (watch-plan.ts) against the incident store and outbox,
 * in order. Thin on purpose: each action is one store call and a log line; profile captures and
 * their diff come in as functions, so tests run it on a `:memory:` store.
 */
import type { Logger } from '../log/log.js';
import type { Metric } from '../model/incident.js';
import type { ProfileKind } from '../model/sample.js';
import type { Attribution } from '../store/incidents.js';
import type { AlertRows, IncidentEvents } from '../store/incident-events.js';
import type { WatchAction } from './watch-plan.js';

/** What the watch needs to tell the alert stage; the outbox implements it. */
export interface AlertSink {
  /** Alert rows were written (with the incident change): deliver soon. */
  wake(): void;
}

export interface ActionDeps {
  service: string;
  events: IncidentEvents;
  alerts: AlertSink;
  log: Logger;
  /** This service's alert channels and the message each event queues. */
  alertRows: AlertRows;
  /** Fresh profiles diffed against the window's baseline; undefined when there is nothing to blame. */
  attribute(metric: Metric): Promise<Attribution | undefined>;
  /** Captures and stores profiles now; their ids by kind. */
  capture(kinds: ProfileKind[]): Promise<Map<ProfileKind, { id: number }>>;
  pinProfile(id: number, why: string): void;
  /** Remembers a last-gasp capture as taken (before it runs: a failed one is not retried every scrape). */
  lastGaspTaken(key: string): void;
  now(): number;
}

/** Runs `actions` at time `at`; a failed attribution or capture is logged and the rest goes on. */
export async function runActions(actions: readonly WatchAction[], at: number, d: ActionDeps): Promise<void> {
  const { service, events, log } = d;
  for (const a of actions) {
    switch (a.type) {
      case 'open': {
        const inc = events.open(service, a.metric, a.trend, at, a.note, d.alertRows, a.holdUntil);
        log.warn('incident opened', { service, metric: a.metric, id: inc.id, slopePerHour: Math.round(a.trend.lowerPerHour) });
        const found = !a.attribute ? undefined : await d.attribute(a.metric).catch((err) => {
          log.error('attribution failed', { service, id: inc.id, error: (err as Error).message });
          return undefined;
        });
        // Also without an attribution: this releases the held open alert.
        events.attributed(inc.id, found, d.now(), d.alertRows);
        if (found) log.info('incident attributed', { service, id: inc.id, functions: found.topGrowth.length + found.topGoroutines.length });
        break;
      }
      case 'reopen':
        events.reopen(a.incidentId, a.trend, at, d.alertRows);
        log.warn('incident reopened', { service, id: a.incidentId, slopePerHour: Math.round(a.trend.lowerPerHour) });
        break;
      case 'update':
        events.incidents.update(a.incidentId, a.trend, at);
        break;
      case 'remind':
        events.remind(a.incidentId, a.trend, at, d.alertRows);
        break;
      case 'resolve':
        events.resolve(a.incidentId, at, a.reason, d.alertRows);
        log.info('incident resolved', { service, id: a.incidentId, reason: a.reason });
        break;
      case 'alert':
        d.alerts.wake();
        break;
      case 'capture': {
        d.lastGaspTaken(a.key);
        const taken = await d.capture(['heap', 'goroutine']).catch(() => new Map<ProfileKind, { id: number }>());
        for (const p of taken.values()) d.pinProfile(p.id, 'last-gasp');
        log.warn('last-gasp profiles captured', {
          service, metric: a.metric, timeToLimitMinutes: a.timeToLimitMinutes, profiles: [...taken.values()].map((p) => p.id).join(','),
        });
        break;
      }
    }
  }
}
