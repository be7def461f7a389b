/**
 * The set of watched services while the daemon runs: the config's own services plus the
 * discovered ones (design §8). Applying a new list adds and removes ServiceWatches and their
 * jobs without touching the others; a changed service (relabelled, a rule edited) is rebuilt
 * keeping its window. A vanished service (or one taken out of the config file) keeps its history;
 * after `goneAfter` (at once without `discovery`) its open incidents resolve as `gone`. Services
 * fed by a Prometheus share one batch of queries per source and step.
 * It lives as long as the daemon: a reload (applyConfig) is one more list to apply, so only the
 * services whose configuration changed get new watches and jobs.
 */
import type { Config, ServiceConfig } from '../config/schema.js';
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
  /** Records discovered services' origin and departure for `status` (the store). */
  registry?: { seen(name: string, labels: Record<string, string>, source: string): void; gone(name: string, at: number): void };
  /**
   * Services with open incidents in the store, and resolving those as `gone` without a watch:
   * a service that left while the daemon was down has neither a watch nor a config any more.
   */
  orphans?: { open(): string[]; resolve(name: string, at: number): number };
  now?: () => number;
}

export class FleetJobs {
  /** The last list discovery applied (kept across a config reload). */
  private discovered: ServiceConfig[] = [];
  /** The config's own services. */
  private own: readonly ServiceConfig[] = [];
  private goneAfter = 0;
  private readonly gone = new Map<string, { since: number; watch: ServiceWatch }>();
  /** Services with open incidents that a complete list did not name, and since when (they resolve as `gone` after goneAfter). */
  private readonly orphans = new Map<string, number>();
  private readonly batches = new Map<string, PrometheusSamples>();
  private readonly apis = new Map<string, PrometheusApi>();
  private readonly now: () => number;

  constructor(private readonly deps: FleetDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** A (re)loaded config: its own services and `fleet.goneAfter`; discovered services stay as last applied. */
  applyConfig(config: Pick<Config, 'services' | 'fleet'>): void {
    this.own = config.services;
    this.goneAfter = config.fleet?.goneAfter ?? 0;
    // Without discovery the config is the whole list (a reload that drops discovery drops its services);
    // with it, the list is complete once every source answered.
    this.apply(config.fleet ? this.discovered : [], !config.fleet);
  }

  /** Requests sent to each Prometheus for samples (its load, for /metrics and the bench). */
  prometheusRequests(): Record<string, number> {
    return Object.fromEntries([...this.apis].map(([url, api]) => [url, api.requests]));
  }

  /**
   * Watches exactly the config's own services (which win a name clash) plus `discovered`.
   * `complete`: every source answered, so a service with open incidents that is not in the list
   * left while the daemon was down; it gets the same grace as one that vanishes while it runs.
   */
  apply(discovered: readonly ServiceConfig[], complete = false): void {
    const now = this.now();
    this.discovered = [...discovered];
    const wanted = new Map<string, ServiceConfig>();
    for (const s of discovered) wanted.set(s.name, s);
    for (const s of this.own) wanted.set(s.name, s);
    const { watches, log } = this.deps;
    for (const [name, w] of [...watches]) {
      if (wanted.has(name)) continue;
      this.remove(name);
      // A discovered service that vanished, or one taken out of the config file (SIGHUP), may
      // come back under the same name within goneAfter and keeps its window; after it, its
      // incidents resolve as `gone` (nothing would ever judge them again).
      this.gone.set(name, { since: now, watch: w });
      if (w.svc.origin) this.deps.registry?.gone(name, now);
      log.info('service gone', { service: name, source: w.svc.origin?.source ?? 'config' });
    }
    for (const svc of wanted.values()) {
      const current = watches.get(svc.name);
      if (current && JSON.stringify(current.svc) === JSON.stringify(svc)) continue;
      const before = current ?? this.gone.get(svc.name)?.watch;
      if (current) this.remove(svc.name);
      if (svc.origin) {
        log.info(current ? 'service changed' : 'service discovered', { service: svc.name, source: svc.origin.source, back: this.gone.has(svc.name) || undefined });
      } else if (!current && this.gone.has(svc.name)) {
        log.info('service back', { service: svc.name, source: 'config' });
      }
      this.gone.delete(svc.name);
      this.orphans.delete(svc.name);
      if (svc.origin) this.deps.registry?.seen(svc.name, svc.origin.labels, svc.origin.source);
      this.add(svc, before);
    }
    if (complete) this.adoptOrphans(now);
    this.expireGone(now);
  }

  private adoptOrphans(now: number): void {
    for (const name of this.deps.orphans?.open() ?? []) {
      if (this.deps.watches.has(name) || this.gone.has(name) || this.orphans.has(name)) continue;
      this.orphans.set(name, now);
      this.deps.log.info('service gone', { service: name, source: 'history' });
    }
  }

  private add(svc: ServiceConfig, before: ServiceWatch | undefined): void {
    const { scheduler, watches } = this.deps;
    const w = this.deps.createWatch(svc, before);
    w.start();
    watches.set(svc.name, w);
    const from = svc.origin?.samplesFrom;
    const key = svc.origin && targetKey(svc.origin.labels);
    if (from && key) this.batch(from, svc.schedule).add(key, w);
    else scheduler.add(`${svc.name}/scrape`, svc.schedule, (_due, tick) => w.scrape(tick));
    // A round of captures costs the daemon a check per profile (and each target a profile): spread
    // over the whole schedule, 200 services' round at 1 min no longer saturates the event loop
    // for the 10 s a fifth-of-a-period spread packed it into (the sample scrapes ran late, skipped).
    if (svc.pprof) scheduler.add(`${svc.name}/profiles`, svc.profileSchedule, () => w.profileRound(), { spread: 'period' });
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
      if (now - g.since < this.goneAfter) continue;
      this.gone.delete(name);
      g.watch.resolveAll('gone', now).then(
        (n) => n && this.deps.log.info('incidents of a gone service resolved', { service: name, incidents: n }),
        (err) => this.deps.log.error('resolving incidents of a gone service failed', { service: name, error: (err as Error).message }),
      );
    }
    for (const [name, since] of this.orphans) {
      if (now - since < this.goneAfter) continue;
      this.orphans.delete(name);
      try {
        const n = this.deps.orphans!.resolve(name, now);
        if (n) this.deps.log.info('incidents of a gone service resolved', { service: name, incidents: n });
      } catch (err) {
        this.deps.log.error('resolving incidents of a gone service failed', { service: name, error: (err as Error).message });
      }
    }
  }
}

type SamplesFrom = NonNullable<ServiceOrigin['samplesFrom']>;

function batchJob(from: SamplesFrom, schedule: string): string {
  return `prometheus ${from.url} ${from.match ?? ''} ${schedule}`;
}
