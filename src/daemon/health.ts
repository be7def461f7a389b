/** What the daemon reports about itself on /healthz and /metrics, read from its live watches. */
import type { Database } from 'better-sqlite3';
import type { Metric } from '../model/incident.js';
import type { IncidentStore } from '../store/incidents.js';
import type { Health } from '../web/server.js';
import type { MetricsSnapshot } from '../web/metrics.js';
import { cronPeriodMs } from './scheduler.js';
import type { ServiceWatch } from './watch.js';

export function daemonHealth(db: Database, watches: Iterable<ServiceWatch>, now = Date.now()): Health {
  let ok = true;
  try {
    db.prepare('SELECT 1').get();
  } catch {
    ok = false;
  }
  const services = [...watches].map((w) => {
    const last = w.counters.lastSampleAt;
    const age = last === null ? null : (now - last) / 1000;
    return { name: w.svc.name, lastScrapeAt: last, ageSeconds: age, fresh: age !== null && age * 1000 < staleAfter(w), state: w.state };
  });
  return { ok, db: ok, services };
}

export function daemonMetrics(incidents: IncidentStore, watches: Iterable<ServiceWatch>, outboxDepth: number, now = Date.now()): MetricsSnapshot {
  const open = incidents.listOpen();
  return {
    outboxDepth,
    services: [...watches].map((w) => {
      const slopes: Partial<Record<Metric, number>> = {};
      const timeToLimitHours: Partial<Record<Metric, number>> = {};
      for (const [m, t] of Object.entries(w.trends)) {
        if (t) slopes[m as Metric] = t.slopePerHour;
        if (t?.timeToLimitHours != null) timeToLimitHours[m as Metric] = t.timeToLimitHours;
      }
      const mine = open.filter((i) => i.service === w.svc.name);
      return {
        name: w.svc.name,
        state: w.state,
        scrapesTotal: w.counters.scrapes,
        failuresTotal: w.counters.failures,
        lastScrapeDurationSeconds: w.counters.lastDurationMs === null ? null : w.counters.lastDurationMs / 1000,
        lastSampleAgeSeconds: w.counters.lastSampleAt === null ? null : (now - w.counters.lastSampleAt) / 1000,
        scrapeLagSeconds: w.counters.lastLagMs === null ? null : w.counters.lastLagMs / 1000,
        scrapesSkippedTotal: w.counters.skipped,
        slopesPerHour: slopes,
        openIncidents: mine.length,
        timeToLimitHours,
        openMetrics: mine.map((i) => i.metric),
      };
    }),
  };
}

/** A service is stale after three missed scrapes (and a timeout). */
function staleAfter(w: ServiceWatch): number {
  return 3 * cronPeriodMs(w.svc.schedule) + w.svc.timeout;
}
