/**
 * The composition root: opens the store, builds channels and the outbox, one ServiceWatch per
 * service on its schedules, the optional HTTP listener, and retention pruning. Constructors do no
 * I/O; start() does; stop() keeps stopping the other parts when one fails.
 */
import { hostname } from 'node:os';
import type { Config, ServiceConfig } from '../config/schema.js';
import type { Logger } from '../log/log.js';
import { Store } from '../store/index.js';
import type { IncidentStore } from '../store/incidents.js';
import { IncidentEvents } from '../store/incident-events.js';
import { createChannels } from '../alert/registry.js';
import { Outbox } from '../alert/outbox.js';
import { startHttpServer, type Health, type RunningHttpServer } from '../web/server.js';
import type { MetricsSnapshot } from '../web/metrics.js';
import { webRoutes } from '../web/dashboard.js';
import { OutboxStore } from '../store/outbox.js';
import { Scheduler, cronPeriodMs } from './scheduler.js';
import { ServiceWatch } from './watch.js';
import { createPools, type CollectPools } from '../collect/pools.js';
import type { Metric } from '../model/incident.js';
import { Discovery } from '../discover/discovery.js';
import { shardFromEnv } from '../discover/shard.js';
import { FleetJobs } from './fleet.js';
import { DiscoveredStore } from '../store/discovered.js';

export class Daemon {
  private store: Store | null = null;
  private incidents: IncidentStore | null = null;
  private events: IncidentEvents | null = null;
  private outbox: Outbox | null = null;
  private scheduler: Scheduler | null = null;
  private http: RunningHttpServer | null = null;
  private watches = new Map<string, ServiceWatch>();
  /** One bounded fetch pool and one decode worker pool for every service (fairness across them). */
  private pools: CollectPools | null = null;
  private readonly host = hostname();
  private discovery: Discovery | null = null;
  /** Discovered services (design §8): jobs per service, Prometheus sample batches, gone services. */
  private fleet: FleetJobs | null = null;

  constructor(
    private config: Config,
    private readonly log: Logger,
  ) {}

  get httpUrl(): string | undefined {
    return this.http?.url;
  }

  async start(): Promise<void> {
    this.store = Store.open(this.config.database);
    this.events = new IncidentEvents(this.store.db);
    this.incidents = this.events.incidents;
    this.pools = createPools();
    this.pools.decode.start();
    this.startAlerts();
    this.startWatches();
    await this.startDiscovery();
    if (this.config.http) {
      this.http = await startHttpServer({
        listen: this.config.http.listen,
        token: this.config.http.token,
        log: this.log.child({ component: 'http' }),
        source: { health: () => this.health(), metrics: () => this.metrics() },
        routes: webRoutes({
          store: this.store,
          incidents: this.incidents,
          outbox: new OutboxStore(this.store.db),
          // Discovered services are watched too: the dashboard and API list what is watched now.
          config: () => ({ ...this.config, services: [...this.watches.values()].map((w) => w.svc) }),
          live: (name) => this.watches.get(name),
        }),
      });
    }
    this.log.info('leakwatch started', { services: this.config.services.length, database: this.config.database });
  }

  /** SIGHUP: the new config was already validated; services keep their in-memory windows. */
  async reload(next: Config): Promise<void> {
    if (next.database !== this.config.database) {
      this.log.warn('database path changed: restart leakwatch to switch databases; keeping the old one', {});
      next = { ...next, database: this.config.database };
    }
    this.discovery?.stop();
    await this.scheduler?.stop();
    await this.outbox?.stop();
    const old = this.watches;
    this.config = next;
    this.startAlerts();
    this.startWatches(old);
    await this.startDiscovery();
    this.log.info('configuration reloaded', { services: next.services.length });
  }

  async stop(): Promise<void> {
    const steps: [string, () => Promise<void> | void][] = [
      ['discovery', () => this.discovery?.stop()],
      ['scheduler', () => this.scheduler?.stop()],
      ['outbox', () => this.outbox?.stop()],
      ['decode workers', () => this.pools?.decode.stop()],
      ['http', () => this.http?.close()],
      ['store', () => this.store?.close()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.log.error(`stopping ${name} failed`, { error: (err as Error).message });
      }
    }
    this.log.info('leakwatch stopped', {});
  }

  private startAlerts(): void {
    const channels = createChannels(this.config.channels);
    this.outbox = new Outbox({
      db: this.store!.db,
      channels,
      loadProfile: (id) => this.store!.profileData(id),
      log: this.log.child({ component: 'outbox' }),
    });
    this.outbox.start();
  }

  private startWatches(previous = new Map<string, ServiceWatch>()): void {
    const store = this.store!;
    const scheduler = new Scheduler((job, err) => this.log.error('job failed', { job, error: (err as Error).message }));
    this.watches = new Map();
    this.scheduler = scheduler;
    const fleet = new FleetJobs({
      scheduler,
      createWatch: (svc, before) => this.createWatch(svc, before),
      watches: this.watches,
      log: this.log.child({ component: 'fleet' }),
      goneAfter: this.config.fleet?.goneAfter ?? 0,
      registry: new DiscoveredStore(store.db),
    }, this.fleet);
    this.fleet = fleet;
    fleet.apply(this.config.services, fleet.discovered, previous);
    scheduler.add('retention/prune', this.config.retention.pruneSchedule, async () => {
      const n = store.prune(this.config.retention, Date.now());
      if (n.samples + n.profiles + n.scrapes > 0) this.log.info('pruned old data', { ...n });
    });
  }

  private createWatch(svc: ServiceConfig, before: ServiceWatch | undefined): ServiceWatch {
    // Links in alerts: the configured public URL, else the address the listener is bound to.
    const dashboard = () => (this.config.http?.publicUrl ?? this.http?.url)?.replace(/\/$/, '');
    const w = new ServiceWatch(svc, {
      store: this.store!,
      incidents: this.incidents!,
      events: this.events!,
      alerts: this.outbox!,
      log: this.log.child({ service: svc.name }),
      host: this.host,
      pools: this.pools ?? undefined,
      dashboardUrl: (inc) => {
        const base = dashboard();
        return base ? `${base}/incidents/${inc.id}` : undefined;
      },
    });
    if (before) w.adoptWindow(before);
    return w;
  }

  /** Discovery hands every refresh's list to the fleet: services come, go and change without a restart. */
  private async startDiscovery(): Promise<void> {
    const fleet = this.config.fleet;
    if (!fleet) return;
    const shard = shardFromEnv(process.env.LEAKWATCH_SHARD, fleet.shard);
    this.discovery = new Discovery(fleet, shard, {
      log: this.log.child({ component: 'discovery' }),
      apply: (services) => this.fleet!.apply(this.config.services, services),
    });
    await this.discovery.start();
    this.log.info('discovery started', { services: this.watches.size, ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}) });
  }

  health(): Health {
    let db = true;
    try {
      this.store!.db.prepare('SELECT 1').get();
    } catch {
      db = false;
    }
    const now = Date.now();
    const services = [...this.watches.values()].map((w) => {
      const last = w.counters.lastSampleAt;
      const age = last === null ? null : (now - last) / 1000;
      return { name: w.svc.name, lastScrapeAt: last, ageSeconds: age, fresh: age !== null && age * 1000 < staleAfter(w), state: w.state };
    });
    return { ok: db, db, services };
  }

  metrics(): MetricsSnapshot {
    const now = Date.now();
    const open = this.incidents!.listOpen();
    return {
      outboxDepth: this.outbox?.depth() ?? 0,
      services: [...this.watches.values()].map((w) => {
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
}

/** A service is stale after three missed scrapes (and a timeout). */
function staleAfter(w: ServiceWatch): number {
  return 3 * cronPeriodMs(w.svc.schedule) + w.svc.timeout;
}
