/**
 * The discovery stage: every source of `discovery.sources` re-read each `refresh` (files also on
 * change), targets turned into services by the template and rules, this instance's shard kept,
 * and the whole list handed to the daemon. servicesFromTargets is the pure core.
 */
import type { FleetConfig, ServiceConfig } from '../config/schema.js';
import type { Shard } from '../config/fleet.js';
import type { Logger } from '../log/log.js';
import { FileDiscovery } from './file-sd.js';
import { PrometheusDiscovery } from './prometheus.js';
import { serviceFor, type Target } from './rules.js';
import { inShard } from './shard.js';

/** Services for this shard, in source order; a target that makes no service, or a second service of one name, is a problem. */
export function servicesFromTargets(targets: readonly Target[], fleet: FleetConfig, shard: Shard | undefined): { services: ServiceConfig[]; problems: string[] } {
  const services: ServiceConfig[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const t of targets) {
    const r = serviceFor(t, fleet);
    if ('error' in r) {
      problems.push(`${t.source}: target ${t.labels.instance ?? '?'}: ${r.error}`);
      continue;
    }
    const name = r.service.name;
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push(`${t.source}: target ${t.labels.instance ?? '?'}: service "${name}" already comes from ${first}; ignored`);
      continue;
    }
    seen.set(name, t.source);
    if (inShard(name, shard)) services.push(r.service);
  }
  return { services, problems };
}

export interface DiscoveryDeps {
  log: Logger;
  /**
   * Receives the full discovered list after every refresh and every file change; `complete` when
   * every source answered its last read (a failed source's targets are its last good list, or none).
   */
  apply: (services: ServiceConfig[], complete: boolean) => void;
}

type Source = { kind: 'files'; d: FileDiscovery } | { kind: 'prometheus'; d: PrometheusDiscovery };

export class Discovery {
  private readonly sources: Source[];
  private timer: NodeJS.Timeout | null = null;
  private reported = new Set<string>();
  /** Source failures of this refresh and the last: one that persists is logged once. */
  private failures = new Set<string>();
  private failuresBefore = new Set<string>();
  private refreshing: Promise<void> | null = null;
  private refreshed = false;

  constructor(
    private readonly fleet: FleetConfig,
    private readonly shard: Shard | undefined,
    private readonly deps: DiscoveryDeps,
  ) {
    const onError = (m: string) => this.problem(m);
    this.sources = fleet.sources.map((s): Source => s.kind === 'files'
      ? { kind: 'files', d: new FileDiscovery(s.files, { onChange: () => this.publish(), onError }) }
      : { kind: 'prometheus', d: new PrometheusDiscovery(s, onError) });
  }

  /** Reads every source once (so the first list is complete when start returns), then refreshes. */
  async start(): Promise<void> {
    for (const s of this.sources) if (s.kind === 'files') s.d.start();
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.fleet.refresh);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.sources) if (s.kind === 'files') s.d.stop();
  }

  /** Re-reads every source; overlapping calls share one run. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      this.failuresBefore = this.failures;
      this.failures = new Set();
      try {
        await Promise.all(this.sources.map((s) => s.d.refresh()));
        this.refreshed = true;
        this.publish();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private publish(): void {
    const targets = this.sources.flatMap((s) => s.d.targets());
    const { services, problems } = servicesFromTargets(targets, this.fleet, this.shard);
    // Each problem is logged when it appears, not again every refresh while it lasts.
    for (const p of problems) if (!this.reported.has(p)) this.deps.log.warn('discovery: target skipped', { reason: p });
    this.reported = new Set(problems);
    try {
      this.deps.apply(services, this.refreshed && this.failures.size === 0);
    } catch (err) {
      this.deps.log.error('discovery: applying the service list failed', { error: (err as Error).message });
    }
  }

  private problem(message: string): void {
    this.failures.add(message);
    if (!this.failuresBefore.has(message)) this.deps.log.error('discovery source failed', { reason: message });
  }
}
