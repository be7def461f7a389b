/**
 * The composition root: the logger, the store, the decode workers, the outbox, the jobs (one
 * ServiceWatch per service on its schedules, and retention pruning), discovery and the optional
 * HTTP listener. Each is a Part (parts.ts): started in that order, each given the new config on
 * SIGHUP, stopped in reverse. A part that fails to start stops the ones before it, and start()
 * rejects: `leakwatch run` exits 1 with nothing left running.
 */
import { hostname } from 'node:os';
import type { Config, ServiceConfig } from '../config/schema.js';
import type { RootLogger } from '../log/log.js';
import { Store } from '../store/index.js';
import type { IncidentStore } from '../store/incidents.js';
import { IncidentEvents } from '../store/incident-events.js';
import { createChannels } from '../alert/registry.js';
import { Outbox, outboxPayload } from '../alert/outbox.js';
import type { Incident } from '../model/incident.js';
import { HttpServer, type Health } from '../web/server.js';
import type { MetricsSnapshot } from '../web/metrics.js';
import { webRoutes } from '../web/dashboard.js';
import { OutboxStore } from '../store/outbox.js';
import { Scheduler } from './scheduler.js';
import { ServiceWatch } from './watch.js';
import { createPools, type CollectPools } from '../collect/pools.js';
import { Discovery } from '../discover/discovery.js';
import { shardFromEnv } from '../discover/shard.js';
import { FleetJobs } from './fleet.js';
import { DiscoveredStore } from '../store/discovered.js';
import { Parts, type Part } from './parts.js';
import { daemonHealth, daemonMetrics } from './health.js';

export class Daemon {
  private store: Store | null = null;
  private incidents: IncidentStore | null = null;
  private events: IncidentEvents | null = null;
  private outbox: Outbox | null = null;
  private http: HttpServer | null = null;
  private readonly watches = new Map<string, ServiceWatch>();
  /** One bounded fetch pool and one decode worker pool for every service (fairness across them). */
  private pools: CollectPools | null = null;
  private readonly host = hostname();
  private discovery: Discovery | null = null;
  /** The services being watched; discovery applies its lists here. */
  private fleetJobs: FleetJobs | null = null;
  private readonly parts: Parts;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    private config: Config,
    private readonly log: RootLogger,
  ) {
    this.parts = new Parts(log);
  }

  get httpUrl(): string | undefined {
    return this.http?.url;
  }

  /** Names of the parts running now, in start order (empty before start and after stop). */
  get running(): string[] {
    return this.parts.running;
  }

  async start(): Promise<void> {
    await this.parts.start([this.logPart(), this.storePart(), this.poolsPart(), this.outboxPart(), this.jobsPart(), this.discoveryPart(), this.httpPart()]);
    this.log.info('leakwatch started', { services: this.config.services.length, database: this.config.database });
  }

  /**
   * SIGHUP: the new config was already validated. Every part takes its share; services whose
   * configuration did not change keep their watch, jobs and in-memory window. Rejects naming the
   * parts that could not apply it (e.g. a new http.listen already in use); the others did.
   */
  reload(next: Config): Promise<void> {
    // Two SIGHUPs in a row apply one after the other, never interleaved (an HTTP rebind takes a while).
    const run = this.reloading.catch(() => undefined).then(() => this.applyReload(next));
    this.reloading = run;
    return run;
  }

  private async applyReload(next: Config): Promise<void> {
    if (next.database !== this.config.database) {
      this.log.warn('database path changed: restart leakwatch to switch databases; keeping the old one', {});
      next = { ...next, database: this.config.database };
    }
    this.config = next;
    await this.parts.applyConfig(next);
    this.log.info('configuration reloaded', { services: next.services.length });
  }

  async stop(): Promise<void> {
    // A reload in flight finishes first, so it cannot start a part again after the stop.
    await this.reloading.catch(() => undefined);
    await this.parts.stop();
    this.log.info('leakwatch stopped', {});
  }

  health(): Health {
    return daemonHealth(this.store!.db, this.watches.values());
  }

  metrics(): MetricsSnapshot {
    return daemonMetrics(this.incidents!, this.watches.values(), this.outbox?.depth() ?? 0);
  }

  private logPart(): Part {
    return { name: 'log', start() {}, applyConfig: (c) => this.log.applyConfig(c.log), stop() {} };
  }

  private storePart(): Part {
    return {
      name: 'store',
      start: () => {
        this.store = Store.open(this.config.database);
        this.events = new IncidentEvents(this.store.db);
        this.incidents = this.events.incidents;
      },
      applyConfig() {},
      stop: () => this.store?.close(),
    };
  }

  private poolsPart(): Part {
    return {
      name: 'decode workers',
      // Workers start at the first decode and end when idle (DecodePool's idleMs).
      start: () => {
        this.pools = createPools();
      },
      applyConfig() {},
      stop: () => this.pools?.decode.stop(),
    };
  }

  private outboxPart(): Part {
    return {
      name: 'outbox',
      start: () => {
        const store = this.store!;
        this.outbox = new Outbox({
          db: store.db,
          channels: createChannels(this.config.channels),
          loadProfile: (id) => store.profileData(id),
          log: this.log.child({ component: 'outbox' }),
        });
        this.outbox.start();
      },
      applyConfig: (c) => this.outbox!.applyConfig({ channels: createChannels(c.channels) }),
      stop: () => this.outbox?.stop(),
    };
  }

  /** The scheduler with every service's jobs (the fleet) and retention pruning. */
  private jobsPart(): Part {
    let scheduler: Scheduler | null = null;
    let fleet: FleetJobs | null = null;
    const prune = async () => {
      const n = this.store!.prune(this.config.retention, Date.now());
      if (n.samples + n.profiles + n.scrapes > 0) this.log.info('pruned old data', { ...n });
    };
    const apply = (c: Config) => {
      fleet!.applyConfig(c);
      scheduler!.set('retention/prune', c.retention.pruneSchedule, prune);
    };
    return {
      name: 'jobs',
      start: () => {
        scheduler = new Scheduler((job, err) => this.log.error('job failed', { job, error: (err as Error).message }));
        fleet = new FleetJobs({
          scheduler,
          createWatch: (svc, before) => this.createWatch(svc, before),
          watches: this.watches,
          log: this.log.child({ component: 'fleet' }),
          registry: new DiscoveredStore(this.store!.db),
          orphans: {
            open: () => [...new Set(this.incidents!.listOpen().map((i) => i.service))],
            resolve: (name, at) => this.resolveOrphan(name, at),
          },
        });
        this.fleetJobs = fleet;
        apply(this.config);
        scheduler.start();
      },
      applyConfig: apply,
      stop: () => scheduler?.stop(),
    };
  }

  /** Discovery hands every refresh's list to the fleet: services come, go and change without a restart. */
  private discoveryPart(): Part {
    const start = async (c: Config) => {
      if (!c.fleet) return;
      const shard = shardFromEnv(process.env.LEAKWATCH_SHARD, c.fleet.shard);
      const discovery = new Discovery(c.fleet, shard, {
        log: this.log.child({ component: 'discovery' }),
        apply: (services, complete) => this.fleetJobs!.apply(services, complete),
      });
      try {
        await discovery.start();
      } catch (err) {
        discovery.stop();
        throw err;
      }
      this.discovery = discovery;
      this.log.info('discovery started', { services: this.watches.size, ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}) });
    };
    const stop = () => {
      this.discovery?.stop();
      this.discovery = null;
    };
    return {
      name: 'discovery',
      start: () => start(this.config),
      applyConfig: async (c) => {
        stop();
        await start(c);
      },
      stop,
    };
  }

  /** The listener is optional: a reload may add it, remove it, move it or change its token. */
  private httpPart(): Part {
    const create = (c: NonNullable<Config['http']>) =>
      new HttpServer({
        listen: c.listen,
        token: c.token,
        log: this.log.child({ component: 'http' }),
        source: { health: () => this.health(), metrics: () => this.metrics() },
        routes: webRoutes({
          store: this.store!,
          incidents: this.incidents!,
          outbox: new OutboxStore(this.store!.db),
          // Discovered services are watched too: the dashboard and API list what is watched now.
          config: () => ({ ...this.config, services: [...this.watches.values()].map((w) => w.svc) }),
          live: (name) => this.watches.get(name),
        }),
      });
    const stop = async () => {
      const http = this.http;
      this.http = null;
      await http?.stop();
    };
    return {
      name: 'http',
      start: async () => {
        if (!this.config.http) return;
        const http = create(this.config.http);
        await http.start();
        this.http = http;
      },
      applyConfig: async (c) => {
        if (!c.http) return stop();
        if (this.http) return this.http.applyConfig({ listen: c.http.listen, token: c.http.token });
        const http = create(c.http);
        await http.start();
        this.http = http;
      },
      stop,
    };
  }

  /** An incident's page, for links in alerts: under the configured public URL, else the address the listener is bound to. */
  private incidentUrl(inc: Incident): string | undefined {
    const base = (this.config.http?.publicUrl ?? this.http?.url)?.replace(/\/$/, '');
    return base ? `${base}/incidents/${inc.id}` : undefined;
  }

  /**
   * Resolves as `gone` the open incidents of a service nothing watches any more (taken out of the
   * config, or vanished from discovery, while the daemon was down); with its config gone, each
   * resolve goes to the channels its open alert went to.
   */
  private resolveOrphan(name: string, at: number): number {
    const open = this.incidents!.listOpen(name);
    for (const inc of open) {
      this.events!.resolve(inc.id, at, 'gone', {
        channels: this.events!.outbox.openChannels(inc.id),
        render: (kind, incident, seq) => outboxPayload({ kind, incident, host: this.host, dashboardUrl: this.incidentUrl(incident), seq }),
      });
    }
    if (open.length) this.outbox!.wake();
    return open.length;
  }

  private createWatch(svc: ServiceConfig, before: ServiceWatch | undefined): ServiceWatch {
    const w = new ServiceWatch(svc, {
      store: this.store!,
      incidents: this.incidents!,
      events: this.events!,
      alerts: this.outbox!,
      log: this.log.child({ service: svc.name }),
      host: this.host,
      pools: this.pools ?? undefined,
      dashboardUrl: (inc) => this.incidentUrl(inc),
    });
    if (before) w.adoptWindow(before);
    return w;
  }
}
