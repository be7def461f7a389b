/**
 * What a ServiceWatch does after a verdict, decided without I/O: the detector's incident events
 * become store writes and outbox wake-ups, and trends about to hit their limit become last-gasp
 * profile captures. The watch's executor (watch-actions.ts) carries the list out in order.
 */
import type { ServiceConfig } from '../config/schema.js';
import type { Verdict } from '../analyze/detector.js';
import type { Incident, Metric, ResolveReason } from '../model/incident.js';
import type { Trend } from '../model/trend.js';

export type WatchAction =
  /** Open an incident with its open alert held until `holdUntil`; `attribute`: capture and diff profiles first. */
  | { type: 'open'; metric: Metric; trend: Trend; note?: string; holdUntil: number; attribute: boolean }
  /** Growth resumed within the cooldown: the same incident, with a new alert. */
  | { type: 'reopen'; incidentId: number; trend: Trend }
  /** The open incident's trend, stored; no alert. */
  | { type: 'update'; incidentId: number; trend: Trend }
  | { type: 'remind'; incidentId: number; trend: Trend }
  | { type: 'resolve'; incidentId: number; reason: ResolveReason }
  /** Alert rows were written: the outbox should deliver now. */
  | { type: 'alert' }
  /** Heap and goroutine profiles now, pinned: `metric` reaches its limit within `lastGasp`. `key` marks it done. */
  | { type: 'capture'; why: 'last-gasp'; metric: Metric; key: string; timeToLimitMinutes: number };

export interface PlanInput {
  now: number;
  verdict: Pick<Verdict, 'events' | 'trends'>;
  service: Pick<ServiceConfig, 'pprof' | 'attributionWait' | 'lastGasp'>;
  /** Start of the current process lifetime (0 when unknown). */
  lifetimeStart: number;
  /** Last-gasp captures already taken (`lifetimeStart:metric`): one per metric per lifetime. */
  lastGaspTaken: ReadonlySet<string>;
}

export function planActions({ now, verdict, service, lifetimeStart, lastGaspTaken }: PlanInput): WatchAction[] {
  const actions: WatchAction[] = [];
  for (const ev of verdict.events) {
    switch (ev.type) {
      case 'open':
        actions.push(
          { type: 'open', metric: ev.metric, trend: ev.trend, note: ev.note, holdUntil: service.pprof ? now + service.attributionWait : now, attribute: !!service.pprof },
          { type: 'alert' },
        );
        break;
      case 'reopen':
      case 'remind':
        actions.push({ type: ev.type, incidentId: ev.incidentId, trend: ev.trend }, { type: 'alert' });
        break;
      case 'update':
        actions.push({ type: 'update', incidentId: ev.incidentId, trend: ev.trend });
        break;
      case 'resolve':
        actions.push({ type: 'resolve', incidentId: ev.incidentId, reason: ev.reason }, { type: 'alert' });
        break;
    }
  }
  actions.push(...lastGaspCaptures(verdict.trends, service, lifetimeStart, lastGaspTaken));
  return actions;
}

/**
 * When a metric will reach its limit (configured, or GOMEMLIMIT) within `lastGasp`, profiles are
 * taken at once and pinned, so the evidence outlives the OOM kill. Once per metric per lifetime.
 */
function lastGaspCaptures(trends: Verdict['trends'], service: PlanInput['service'], life: number, taken: ReadonlySet<string>): WatchAction[] {
  const horizonH = (service.lastGasp ?? 0) / 3_600_000;
  if (!(horizonH > 0) || !service.pprof) return [];
  const out: WatchAction[] = [];
  for (const [metric, t] of Object.entries(trends)) {
    if (!t || t.timeToLimitHours === null || t.timeToLimitHours > horizonH || !(t.slopePerHour > 0)) continue;
    const key = `${life}:${metric}`;
    if (taken.has(key)) continue;
    out.push({ type: 'capture', why: 'last-gasp', metric: metric as Metric, key, timeToLimitMinutes: Math.round(t.timeToLimitHours * 60) });
  }
  return out;
}

/** A service left the fleet: close each open incident without the detector, then alert. */
export function planResolveAll(open: readonly Pick<Incident, 'id'>[], reason: ResolveReason): WatchAction[] {
  const actions: WatchAction[] = open.map((inc) => ({ type: 'resolve', incidentId: inc.id, reason }));
  if (actions.length) actions.push({ type: 'alert' });
  return actions;
}
