/**
 * Incident lifecycle: from per-metric assessments and the open incidents of a service to the
 * events the daemon applies (open, update, remind, resolve). Pure; the state lives in the
 * incident store (or, for replay, in memory), so a daemon restart does not re-open or re-alert.
 */
import type { Incident, Metric } from '../model/incident.js';
import type { Trend } from './trend.js';

export type IncidentEvent =
  | { type: 'open'; metric: Metric; trend: Trend; note?: string }
  | { type: 'update'; incidentId: number; trend: Trend }
  | { type: 'resolve'; incidentId: number; reason: 'growth-stopped' | 'restart' }
  | { type: 'remind'; incidentId: number; trend: Trend };

/** What the detector concluded about one metric of the current process lifetime. */
export interface MetricAssessment {
  metric: Metric;
  trend: Trend;
  /** Growth is significant, above the threshold on its conservative bound, and still going on late in the window. */
  leaking: boolean;
  /** Recent growth is confidently below the threshold (its upper bound is). */
  stopped: boolean;
  /** Leaking, but fully explained by another incident-worthy metric (RSS/Sys driven by the heap). */
  explained?: boolean;
  note?: string;
}

export interface LifecycleContext {
  now: number;
  /** Start of the current process lifetime (-Infinity when no restart is known). */
  lifetimeBegan: number;
  /** ms between alerts for one incident. */
  cooldown: number;
}

export function incidentEvents(assessments: readonly MetricAssessment[], open: readonly Incident[], ctx: LifecycleContext): IncidentEvent[] {
  const events: IncidentEvent[] = [];
  const byMetric = new Map(assessments.map((a) => [a.metric, a]));
  const stillOpen = new Set<Metric>();
  for (const inc of open) {
    if (inc.resolvedAt !== null) continue;
    if (ctx.lifetimeBegan > inc.openedAt) {
      events.push({ type: 'resolve', incidentId: inc.id, reason: 'restart' });
      continue;
    }
    stillOpen.add(inc.metric);
    const a = byMetric.get(inc.metric);
    if (!a) continue;
    if (a.stopped) {
      events.push({ type: 'resolve', incidentId: inc.id, reason: 'growth-stopped' });
      continue;
    }
    events.push({ type: 'update', incidentId: inc.id, trend: a.trend });
    const lastAlert = inc.lastAlertAt ?? inc.openedAt;
    if (a.leaking && ctx.now - lastAlert >= ctx.cooldown) events.push({ type: 'remind', incidentId: inc.id, trend: a.trend });
  }
  for (const a of assessments) {
    if (!a.leaking || a.explained || stillOpen.has(a.metric)) continue;
    events.push(a.note === undefined ? { type: 'open', metric: a.metric, trend: a.trend } : { type: 'open', metric: a.metric, trend: a.trend, note: a.note });
  }
  return events;
}
