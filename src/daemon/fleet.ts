/**
 * The set of watched services while the daemon runs: the config's own services plus the
 * discovered ones (design §8). Applying a new list adds and removes ServiceWatches and their
 * jobs without touching the others; a changed service (relabelled, a rule edited) is rebuilt
 * keeping its window. A vanished service keeps its history; after `goneAfter` its open incidents
 * resolve as `gone`. Services fed by a Prometheus share one batch of queries per source and step.
 */
import type { ServiceConfig } from '../config/schema.js';
import type { ServiceOrigin } from '../config/fleet.js';
import { PrometheusApi } from '../collect/prometheus-api.js';
import { PrometheusSamples, targetKey } from '../collect/prometheus-source.js';
import type { Logger } from '../log/log.js';
import { cronPeriodMs, type Scheduler } from './scheduler.js';
import type { ServiceWatch } from './watch.js';

export interface FleetDeps {
  scheduler: Scheduler;
  /** Builds a watch; `before` is the same service's previous watch, whose window it keeps. */
  createWatch: (svc: ServiceConfig, before: ServiceWatch | undefined) => ServiceWatch;
  /** The daemon's map of live watches, kept up to date here. */
  watches: Map<string, ServiceWatch>;
  log: Logger;
  goneAfter: number;
  /** Records discovered services' origin and departure for `status` (the store). */
  registry?: { seen(name: string, labels: Record<string, string>, source: string): void; gone(name: string, at: number): void };
  now?: () => number;
}

export class FleetJobs {
  /** The last list discovery applied (kept across a config reload). */
  discovered: ServiceConfig[] = [];
  private gone = new Map<string, { since: number; watch: ServiceWatch }>();
  private readonly batches = new Map<string, PrometheusSamples>();
  private apis = new Map<string, PrometheusApi>();
  private readonly now: () => number;

  constructor(
    private readonly deps: FleetDeps,
    previous?: FleetJobs | null,
  ) {
    this.now = deps.now ?? Date.now;
    if (previous) {
      this.discovered = previous.discovered;
      this.gone = previous.gone;
      this.apis = previous.apis;
    }
  }

  /** Requests sent to each Prometheus for samples (its load, for /metrics and the bench). */
  prometheusRequests(): Record<string, number> {
    return Object.fromEntries([...this.apis].map(([url, api]) => [url, api.requests]));
  }

  /** Watches exactly `own` (which wins a name clash) plus `discovered`; `previous` holds watches of a replaced scheduler. */
  apply(own: readonly ServiceConfig[], discovered: readonly ServiceConfig[], previous?: Map<string, ServiceWatch>): void {
    const now = this.now();
    this.discovered = [...discovered];
    const wanted = new Map<string, ServiceConfig>();
    for (const s of discovered) wanted.set(s.name, s);
    for (const s of own) wanted.set(s.name, s);
    const { watches, log } = this.deps;
    for (const [name, w] of [...watches]) {
      if (wanted.has(name)) continue;
      this.remove(name);
      this.gone.set(name, { since: now, watch: w });
      if (w.svc.origin) this.deps.registry?.gone(name, now);
      log.info('service gone', { service: name, source: w.svc.origin?.source });
    }
    for (const svc of wanted.values()) {
      const current = watches.get(svc.name);
      if (current && JSON.stringify(current.svc) === JSON.stringify(svc)) continue;
      const before = current ?? previous?.get(svc.name) ?? this.gone.get(svc.name)?.watch;
      if (current) this.remove(svc.name);
      if (svc.origin && !previous) {
        log.info(current ? 'service changed' : 'service discovered', { service: svc.name, source: svc.origin.source, back: this.gone.has(svc.name) || undefined });
      }
      this.gone.delete(svc.name);
      if (svc.origin) this.deps.registry?.seen(svc.name, svc.origin.labels, svc.origin.source);
      this.add(svc, before);
    }
    this.expireGone(now);
  }

  private add(svc: ServiceConfig, before: ServiceWatch | undefined): void {
    const { scheduler, watches } = this.deps;
    const w = this.deps.createWatch(svc, before);
    watches.set(svc.name, w);
    const from = svc.origin?.samplesFrom;
    const key = svc.origin && targetKey(svc.origin.labels);
    if (from && key) this.batch(from, svc.schedule).add(key, w);
    else scheduler.add(`${svc.name}/scrape`, svc.schedule, (_due, tick) => w.scrape(tick));
    if (svc.pprof) scheduler.add(`${svc.name}/profiles`, svc.profileSchedule, () => w.captureProfiles().then(() => undefined));
  }

  private remove(name: string): void {
    const { scheduler, watches } = this.deps;
    const w = watches.get(name);
    watches.delete(name);
    scheduler.remove(`${name}/scrape`);
    scheduler.remove(`${name}/profiles`);
    const from = w?.svc.origin?.samplesFrom;
    const key = w?.svc.origin && targetKey(w.svc.origin.labels);
    if (!from || !key) return;
    const job = batchJob(from, w.svc.schedule);
    const batch = this.batches.get(job);
    batch?.remove(key);
    if (batch && batch.size === 0) {
      scheduler.remove(job);
      this.batches.delete(job);
    }
  }

  /** One batch (and one scheduled job) per Prometheus and schedule. */
  private batch(from: SamplesFrom, schedule: string): PrometheusSamples {
    const job = batchJob(from, schedule);
    let batch = this.batches.get(job);
    if (!batch) {
      let api = this.apis.get(from.url);
      if (!api) this.apis.set(from.url, (api = new PrometheusApi(from.url, { timeoutMs: from.timeout })));
      const b = new PrometheusSamples(api, from.match, cronPeriodMs(schedule));
      this.deps.scheduler.add(job, schedule, () => b.tick());
      this.batches.set(job, (batch = b));
    }
    return batch;
  }

  private expireGone(now: number): void {
    for (const [name, g] of this.gone) {
      if (now - g.since < this.deps.goneAfter) continue;
      const n = g.watch.resolveAll('gone', now);
      if (n) this.deps.log.info('incidents of a gone service resolved', { service: name, incidents: n });
      this.gone.delete(name);
    }
  }
}

type SamplesFrom = NonNullable<ServiceOrigin['samplesFrom']>;

function batchJob(from: SamplesFrom, schedule: string): string {
  return `prometheus ${from.url} ${from.match ?? ''} ${schedule}`;
}
