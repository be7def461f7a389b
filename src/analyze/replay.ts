/**
 * Offline replay: runs `detect` at every sample time of a recorded trace, with the incidents it
 * opens kept in memory — the same function and the same lifecycle the daemon runs, only the
 * clock is the trace's `t`.
 */
import type { ServiceConfig } from '../config/schema.js';
import type { Incident, Metric } from '../model/incident.js';
import type { Sample } from '../model/sample.js';
import { Detector, type IncidentEvent } from './detector.js';
import type { Trend } from '../model/trend.js';

export interface ReplayIncident {
  metric: Metric;
  openedAt: string;
  resolvedAt: string | null;
  /** Conservative (lower-bound) slope per hour when it opened. */
  slopePerHour: number;
  resolveReason?: 'growth-stopped' | 'restart' | 'gone';
  note?: string;
}

export interface ReplayResult {
  incidents: ReplayIncident[];
}

/** In-memory incident lifecycle, applying detector events as the incident store does. */
export class MemoryIncidents {
  readonly all: Incident[] = [];
  /** Conservative slope at opening, by incident id: what the alert said. */
  readonly openingSlope = new Map<number, number>();

  constructor(private readonly service: string) {}

  open(): Incident[] {
    return this.all.filter((i) => i.resolvedAt === null);
  }

  /** Open incidents and those resolved within `cooldown` of `now` (the detector may reopen them). */
  recent(now: number, cooldown: number): Incident[] {
    return this.all.filter((i) => i.resolvedAt === null || now - i.resolvedAt < cooldown);
  }

  apply(events: readonly IncidentEvent[], now: number): void {
    for (const e of events) {
      if (e.type === 'open') {
        const inc: Incident = {
          id: this.all.length + 1, service: this.service, metric: e.metric, openedAt: now, resolvedAt: null,
          slopePerHour: 0, confidence: 0, current: 0, timeToLimitHours: null, topGrowth: [], topGoroutines: [], lastAlertAt: now,
        };
        if (e.note !== undefined) inc.note = e.note;
        setTrend(inc, e.trend);
        this.all.push(inc);
        this.openingSlope.set(inc.id, e.trend.lowerPerHour);
        continue;
      }
      const inc = this.all[e.incidentId - 1];
      if (!inc) continue;
      if (e.type === 'update') setTrend(inc, e.trend);
      else if (e.type === 'reopen') {
        inc.resolvedAt = null;
        delete inc.resolveReason;
        inc.lastAlertAt = now;
        setTrend(inc, e.trend);
      }
      else if (e.type === 'remind') inc.lastAlertAt = now;
      else if (e.type === 'resolve') {
        inc.resolvedAt = now;
        inc.resolveReason = e.reason;
      }
    }
  }
}

function setTrend(inc: Incident, trend: Trend): void {
  inc.slopePerHour = trend.lowerPerHour;
  inc.confidence = trend.confidence;
  inc.current = trend.current;
  inc.timeToLimitHours = trend.timeToLimitHours;
  if (trend.limit !== undefined) inc.limit = trend.limit;
}

/** Replays `samples` (ascending t) through the detector; returns every incident it would have opened. */
export function replay(samples: readonly Sample[], service: ServiceConfig): ReplayResult {
  const store = new MemoryIncidents(service.name);
  const detector = new Detector(service);
  for (const s of samples) {
    detector.observe(s);
    const verdict = detector.evaluate(s.t, store.recent(s.t, service.cooldown));
    store.apply(verdict.events, s.t);
  }
  return {
    incidents: store.all.map((inc) => {
      const out: ReplayIncident = {
        metric: inc.metric,
        openedAt: new Date(inc.openedAt).toISOString(),
        resolvedAt: inc.resolvedAt === null ? null : new Date(inc.resolvedAt).toISOString(),
        slopePerHour: store.openingSlope.get(inc.id) ?? inc.slopePerHour,
      };
      if (inc.resolveReason) out.resolveReason = inc.resolveReason;
      if (inc.note !== undefined) out.note = inc.note;
      return out;
    }),
  };
}
