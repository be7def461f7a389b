/**
 * Read models shared by the CLI, the dashboard and the demo: what `status` shows per service.
 * Reads the store and runs the same pure detector the daemon runs.
 */
import { detect } from '../analyze/detector.js';
import type { Trend } from '../model/trend.js';
import type { ServiceConfig } from '../config/schema.js';
import { METRICS, type Metric } from '../model/incident.js';
import type { IncidentStore } from '../store/incidents.js';
import type { Store } from '../store/index.js';

export interface ServiceStatus {
  name: string;
  state: 'ok' | 'leaking' | 'unreachable' | 'warming';
  lastScrapeAt: string | null;
  lastScrapeOk: boolean | null;
  lastScrapeError?: string;
  /** The last capture of profiles (the profile schedule, an incident's attribution), apart from sample scrapes. */
  lastProfilesAt: string | null;
  lastProfilesError?: string;
  samples: number;
  /** How late the last scheduled scrape started after it was due (s); null before the first. */
  scrapeLagSeconds: number | null;
  /** Scheduled scrapes skipped (the previous one still running, or the tick fired late) in the retained scrape log. */
  scrapesSkipped: number;
  latest: { heapAlloc?: number; heapInuse?: number; sys?: number; rss?: number; goroutines?: number };
  trends: Partial<Record<Metric, { slopePerHour: number; lowerPerHour: number; confidence: number; timeToLimitHours: number | null }>>;
  openIncidents: number;
  /** A discovered service's labels and where it came from (design §8). */
  labels?: Record<string, string>;
  source?: string;
  /** `prometheus` when the samples are read from a Prometheus rather than scraped. */
  samplesFrom?: 'prometheus';
}

/** A verdict the caller already has (the running daemon's), so status need not refit the window. */
export interface LiveVerdict {
  readonly state: ServiceStatus['state'];
  readonly trends: Partial<Record<Metric, Trend>>;
}

export function serviceStatus(store: Store, incidents: IncidentStore, svc: ServiceConfig, now = Date.now(), live?: LiveVerdict): ServiceStatus {
  const last = store.lastScrape(svc.name);
  const capture = store.lastScrape(svc.name, 'profiles');
  const latest = store.latestSample(svc.name);
  // MemStats may be older than the latest sample (pprof-only services read them every heapTextSchedule).
  const mem = latest?.sys === undefined ? store.latestMemStats(svc.name) : latest;
  const open = incidents.listOpen(svc.name);
  const schedule = store.scrapeSchedule(svc.name);
  let verdict: LiveVerdict | undefined = live;
  if (!verdict) {
    const samples = store.samples(svc.name, { from: now - svc.window });
    verdict = samples.length ? detect({ service: svc, samples, now, open }) : undefined;
  }
  const trends: ServiceStatus['trends'] = {};
  for (const m of METRICS) {
    const t = verdict?.trends[m];
    if (t) trends[m] = { slopePerHour: t.slopePerHour, lowerPerHour: t.lowerPerHour, confidence: t.confidence, timeToLimitHours: t.timeToLimitHours };
  }
  const state: ServiceStatus['state'] =
    (last && !last.ok) || verdict?.state === 'unreachable' ? 'unreachable' : open.length > 0 ? 'leaking' : (verdict?.state ?? 'warming');
  return {
    name: svc.name,
    state,
    lastScrapeAt: last ? new Date(last.at).toISOString() : null,
    lastScrapeOk: last ? last.ok : null,
    ...(last && !last.ok && last.reason ? { lastScrapeError: last.reason } : {}),
    lastProfilesAt: capture ? new Date(capture.at).toISOString() : null,
    // A capture that got the heap profile but not the goroutine one is ok, with a reason: shown too.
    ...(capture?.reason ? { lastProfilesError: capture.reason } : {}),
    samples: store.sampleCount(svc.name),
    scrapeLagSeconds: schedule.lagMs === null ? null : Math.round(schedule.lagMs) / 1000,
    scrapesSkipped: schedule.skipped,
    latest: latest
      ? { heapAlloc: mem?.heapAlloc, heapInuse: mem?.heapInuse, sys: mem?.sys, rss: latest.rss, goroutines: latest.goroutines }
      : {},
    trends,
    openIncidents: open.length,
    ...(svc.origin ? { labels: svc.origin.labels, source: svc.origin.source, ...(svc.origin.samplesFrom ? { samplesFrom: 'prometheus' as const } : {}) } : {}),
  };
}
