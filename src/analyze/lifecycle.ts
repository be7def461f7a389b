/**
 * Incident lifecycle: from per-metric assessments and the service's incidents to the events the
 * daemon applies (open, reopen, update, remind, resolve). Pure; the state lives in the incident
 * store (or, for replay, in memory), so a daemon restart does not re-open or re-alert.
 *
 * Against flapping: the detector only reports `leaking` once the verdict has held for consecutive
 * evaluations and `stopped` once growth has stayed stopped for a hold time; here, growth that
 * resumes within the cooldown after a resolve reopens that incident instead of opening a new one.
 */
import type { Incident, Metric } from '../model/incident.js';
import type { Trend } from '../model/trend.js';

/** `gone` is set by the daemon (a service left the fleet), never by the lifecycle. */
export type ResolveReason = 'growth-stopped' | 'restart' | 'gone';

export type IncidentEvent =
  | { type: 'open'; metric: Metric; trend: Trend; note?: string }
  | { type: 'reopen'; incidentId: number; trend: Trend }
  | { type: 'update'; incidentId: number; trend: Trend }
  | { type: 'resolve'; incidentId: number; reason: ResolveReason }
  | { type: 'remind'; incidentId: number; trend: Trend };

/** What the detector concluded about one metric of the current process lifetime. */
export interface MetricAssessment {
  metric: Metric;
  trend: Trend;
  /** Growth is significant, above the threshold on its conservative bound, still going on, and has been for consecutive evaluations. */
  leaking: boolean;
  /** Growth has been confidently below the threshold for the hold time. */
  stopped: boolean;
  /** Leaking, but fully explained by another incident-worthy metric (RSS/Sys driven by the heap). */
  explained?: boolean;
  /** Rise of the floor over the window, where known. */
  rise?: number;
  /** Sys only: how much of its rise over the window is the heap's address space (evidence.ts, heapSysRise). */
  heapSysRise?: number;
  note?: string;
}

export interface LifecycleContext {
  now: number;
  /** Start of the current process lifetime (-Infinity when no restart is known). */
  lifetimeBegan: number;
  /** ms between alerts for one incident; also how long a resolved incident can be reopened. */
  cooldown: number;
}

/**
 * `incidents`: the service's open incidents and those resolved recently (within the cooldown);
 * older ones are ignored.
 */
export function incidentEvents(assessments: readonly MetricAssessment[], incidents: readonly Incident[], ctx: LifecycleContext): IncidentEvent[] {
  const events: IncidentEvent[] = [];
  const byMetric = new Map(assessments.map((a) => [a.metric, a]));
  const covered = new Set<Metric>();
  for (const inc of incidents) {
    if (inc.resolvedAt !== null) continue;
    if (ctx.lifetimeBegan > inc.openedAt) {
      events.push({ type: 'resolve', incidentId: inc.id, reason: 'restart' });
      continue;
    }
    covered.add(inc.metric);
    const a = byMetric.get(inc.metric);
    if (!a) continue;
    if (a.stopped && !a.leaking) {
      events.push({ type: 'resolve', incidentId: inc.id, reason: 'growth-stopped' });
      continue;
    }
    events.push({ type: 'update', incidentId: inc.id, trend: a.trend });
    const lastAlert = inc.lastAlertAt ?? inc.openedAt;
    if (a.leaking && ctx.now - lastAlert >= ctx.cooldown) events.push({ type: 'remind', incidentId: inc.id, trend: a.trend });
  }
  for (const a of assessments) {
    if (!a.leaking || a.explained || covered.has(a.metric)) continue;
    // The same growth resuming soon after a resolve is the same incident.
    const recent = incidents
      .filter((i) => i.metric === a.metric && i.resolvedAt !== null && ctx.now - i.resolvedAt < ctx.cooldown)
      .sort((x, y) => (y.resolvedAt ?? 0) - (x.resolvedAt ?? 0))[0];
    if (recent) {
      events.push({ type: 'reopen', incidentId: recent.id, trend: a.trend });
      continue;
    }
    events.push(a.note === undefined ? { type: 'open', metric: a.metric, trend: a.trend } : { type: 'open', metric: a.metric, trend: a.trend, note: a.note });
  }
  return events;
}
