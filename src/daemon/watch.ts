/**
 * One watched service: scrape → store → detect → incidents → alerts. The I/O shell around the
 * pure detector; the daemon owns one per configured service.
 */
import type { ServiceConfig } from '../config/schema.js';
import { rateLimited, resetRateLimit, type Logger } from '../log/log.js';
import type { Incident, Metric, ResolveReason } from '../model/incident.js';
import type { ProfileKind, Sample } from '../model/sample.js';
import type { Store } from '../store/index.js';
import type { IncidentStore, Attribution } from '../store/incidents.js';
import type { AlertRows, IncidentEvents } from '../store/incident-events.js';
import { outboxPayload } from '../alert/outbox.js';
import { scrapeService, captureProfiles, ScrapePlan, type ScrapeResult } from '../collect/scrape.js';
import { roundKinds, type GoroutineMark } from '../collect/profile-round.js';
import type { CollectPools } from '../collect/pools.js';
import { cronPeriodMs, type Tick } from './scheduler.js';
import { isRestart } from '../model/restart.js';
import { Detector, LONG_WINDOWS, type Verdict } from '../analyze/detector.js';
import { DAY } from '../analyze/history.js';
import { decodeProfile } from '../profile/decode.js';
import { planActions, planResolveAll, type WatchAction } from './watch-plan.js';
import { runActions, type ActionDeps, type AlertSink } from './watch-actions.js';
import { goroutineGrowth, topGrowth } from '../profile/attribution.js';
import type { Profile } from '../profile/model.js';

export type { AlertSink } from './watch-actions.js';

export interface WatchDeps {
  store: Store;
  incidents: IncidentStore;
  /** Incident changes together with their alert rows, one transaction each. */
  events: IncidentEvents;
  alerts: AlertSink;
  log: Logger;
  host: string;
  dashboardUrl?: (incident: Incident) => string | undefined;
  now?: () => number;
  /** The fetch and decode pools every service shares (default: the collector's shared set). */
  pools?: CollectPools;
}

export type WatchState = 'ok' | 'leaking' | 'warming' | 'unreachable';

/** A dead target logs its failure at most once a minute, with a count of what was suppressed. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/** The past a detector reads: the window plus a day (same hour yesterday) and the long windows. */
function lookback(svc: ServiceConfig): number {
  return Math.max(svc.window + DAY, ...LONG_WINDOWS);
}

export class ServiceWatch {
  /** The service's detector: bucket floors of its recent past, fed every sample (its memory is per bucket, not per sample). */
  private detector: Detector;
  /** Which endpoints each scrape fetches, and what the sources gave before (collect/plan.ts). */
  private plan: ScrapePlan;
  private verdict: Verdict | undefined;
  /** The goroutine profile the profile schedule last took. */
  private goroutineMark: GoroutineMark | undefined;
  /** Lifetime start and metrics whose last-gasp profiles were already taken. */
  private lastGasp = new Set<string>();
  private reachable = true;
  /** Set when adoptWindow took over a previous watch's detector / scrape plan: start() need not rebuild it. */
  private readonly adopted = { detector: false, plan: false };
  private readonly now: () => number;
  /** Counters for leakwatch's own /metrics. */
  readonly counters = {
    scrapes: 0, failures: {} as Record<string, number>, lastDurationMs: null as number | null, lastSampleAt: null as number | null,
    /** Scheduled scrapes that could not run (busy or late) and how late the last one started. */
    skipped: 0, lastLagMs: null as number | null,
  };

  constructor(
    readonly svc: ServiceConfig,
    private readonly deps: WatchDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.detector = new Detector(svc);
    this.plan = new ScrapePlan({ heapTextEveryMs: cronPeriodMs(svc.heapTextSchedule) });
  }

  /** Reads the service's recent past from the store into whatever adoptWindow did not carry over. */
  start(): void {
    const { detector, plan } = this.adopted;
    if (detector && plan) return;
    // The rings get room for the whole span at its oldest sample (History.reserve), not step by step.
    let reserved = detector;
    for (const s of this.deps.store.eachSample(this.svc.name, { from: this.now() - lookback(this.svc) })) {
      if (!reserved) {
        this.detector.history.reserve(this.now() - s.t);
        reserved = true;
      }
      if (!detector) this.detector.observe(s);
      if (!plan) this.plan.remember(s);
    }
  }

  get state(): WatchState {
    if (!this.reachable) return 'unreachable';
    return this.verdict?.state ?? 'warming';
  }

  get trends(): Verdict['trends'] {
    return this.verdict?.trends ?? {};
  }

  /** Keeps the history of a previous configuration of the same service (SIGHUP reload) when it reads it the same way. */
  adoptWindow(from: ServiceWatch): void {
    const a = from.svc;
    const b = this.svc;
    if (a.window === b.window && a.gogc === b.gogc) {
      this.detector = from.detector.withService(b);
      this.lastGasp = from.lastGasp;
      this.adopted.detector = true;
    }
    // What the sources gave and when heap?debug=1 was last read carry over while its cadence is the same.
    if (from.svc.heapTextSchedule === this.svc.heapTextSchedule) {
      this.plan = from.plan;
      this.adopted.plan = true;
    }
  }

  /** One scheduled MemStats scrape, then detection. `tick`: how late it started, what was skipped before it. */
  async scrape(tick?: Tick): Promise<void> {
    await this.ingest([await scrapeService(this.svc, undefined, { plan: this.plan, pools: this.deps.pools })], tick);
  }

  /** t of the newest sample the detector holds. */
  lastSampleAt(): number | undefined {
    return this.detector.history.lastSample?.t;
  }

  /**
   * Records scrape results, oldest first (one from a scrape; many when a Prometheus backfills a
   * window), then runs detection once on the newest sample.
   */
  async ingest(results: ScrapeResult[], tick?: Tick): Promise<void> {
    let newest: Sample | undefined;
    if (results.length === 1) {
      // A scheduled scrape: the store's own transaction is enough (an outer one would make it a
      // savepoint, two more statements per scrape). The tick (lag, skipped ticks) belongs to it.
      newest = this.record(results[0]!, tick);
    } else {
      // A backfill stores hundreds of samples: one transaction, not one per sample.
      this.deps.store.db.transaction(() => {
        for (const r of results) newest = this.record(r) ?? newest;
      })();
    }
    if (newest) await this.analyze(newest.t);
  }

  /** Stores one result and counts it; its sample goes to the detector. */
  private record(r: ScrapeResult, tick?: Tick): Sample | undefined {
    const prev = this.detector.history.lastSample;
    if (r.sample && r.sample.restart === undefined && prev) r.sample.restart = isRestart(prev, r.sample);
    this.deps.store.recordScrape(this.svc.name, {
      at: r.at,
      ok: r.ok,
      reason: r.failures.map((f) => f.reason).join('; ') || undefined,
      durationMs: r.durationMs,
      failures: r.failures,
      lagMs: tick?.lagMs,
      skipped: tick?.skipped,
      sample: r.sample,
    });
    if (tick) {
      this.counters.skipped += tick.skipped;
      this.counters.lastLagMs = tick.lagMs;
    }
    this.reachable = r.ok;
    this.counters.scrapes++;
    this.counters.lastDurationMs = r.durationMs;
    for (const f of r.failures) this.counters.failures[f.code] = (this.counters.failures[f.code] ?? 0) + 1;
    if (!r.ok || !r.sample) {
      rateLimited(this.deps.log, 'scrape', FAILURE_LOG_INTERVAL_MS).warn('scrape failed', { reason: r.failures.map((f) => f.reason).join('; ') });
      return undefined;
    }
    if (r.failures.length === 0) resetRateLimit(this.deps.log, 'scrape');
    this.counters.lastSampleAt = r.sample.t;
    this.detector.observe(r.sample);
    return r.sample;
  }

  /** Closes every open incident without the detector (the service left the fleet), alerting each. */
  async resolveAll(reason: ResolveReason, at = this.now()): Promise<number> {
    const open = this.deps.incidents.listOpen(this.svc.name);
    await this.run(planResolveAll(open, reason), at);
    return open.length;
  }

  /** One round of the profile schedule: a heap profile, and a goroutine profile when one is due (profile-round.ts). */
  async profileRound(): Promise<void> {
    const now = this.now();
    const latest = this.detector.history.lastSample;
    const kinds = roundKinds(this.goroutineMark, now, latest, this.svc.window);
    const taken = await this.captureProfiles(kinds);
    if (taken.has('goroutine')) this.goroutineMark = { at: now, goroutines: latest?.goroutines, processStart: latest?.processStart };
  }

  /** Profiles captured now (by default heap and goroutine), stored for later diffs. */
  async captureProfiles(kinds: ProfileKind[] = ['heap', 'goroutine']): Promise<Map<ProfileKind, { id: number; profile: Profile }>> {
    const at = this.now();
    const { profiles, failures } = await captureProfiles(this.svc, kinds, { pools: this.deps.pools });
    const { profileIds } = this.deps.store.recordScrape(this.svc.name, {
      kind: 'profiles',
      at,
      ok: profiles.length > 0,
      reason: failures.map((f) => f.reason).join('; ') || undefined,
      durationMs: this.now() - at,
      failures,
      profiles: profiles.map((p) => ({ kind: p.kind, data: p.data, timeNanos: p.timeNanos })),
    });
    if (failures.length) {
      rateLimited(this.deps.log, 'profiles', FAILURE_LOG_INTERVAL_MS).warn('profile capture failed', { reason: failures.map((f) => f.reason).join('; ') });
    }
    // `profile` stays a getter: the model is decoded on first use (an incident's diff), not on
    // the event loop for every scheduled capture the worker already checked.
    return new Map(profiles.map((p, i) => [p.kind, { id: profileIds[i]!, get profile() { return p.profile; } }]));
  }

  private async analyze(now: number): Promise<void> {
    const recent = this.deps.incidents.listRecent(this.svc.name, now - this.svc.cooldown);
    this.verdict = this.detector.evaluate(now, recent);
    const lifetimeStart = this.detector.history.lifetime?.start ?? 0;
    await this.run(planActions({ now, verdict: this.verdict, service: this.svc, lifetimeStart, lastGaspTaken: this.lastGasp }), now);
  }

  private run(actions: WatchAction[], at: number): Promise<void> {
    if (actions.length === 0) return Promise.resolve();
    const { events, alerts, log, store } = this.deps;
    const deps: ActionDeps = {
      service: this.svc.name, events, alerts, log, alertRows: this.alertRows(), now: this.now,
      attribute: (metric) => this.attributeIncident(metric),
      capture: (kinds) => this.captureProfiles(kinds),
      pinProfile: (id, why) => store.pinProfile(id, why),
      lastGaspTaken: (key) => this.lastGasp.add(key),
    };
    return runActions(actions, at, deps);
  }

  /** This service's alert channels, and the message each incident event queues for them. */
  private alertRows(): AlertRows {
    const { host, dashboardUrl } = this.deps;
    return {
      channels: this.svc.alert,
      render: (kind, incident, seq) => outboxPayload({ kind, incident, host, dashboardUrl: dashboardUrl?.(incident), seq }),
    };
  }

  /** Fresh profiles now, diffed against the baseline from the start of the window, same process lifetime. */
  private async attributeIncident(metric: Metric): Promise<Attribution | undefined> {
    if (!this.svc.pprof) return undefined;
    const kind: ProfileKind = metric === 'goroutines' ? 'goroutine' : 'heap';
    const current = (await this.captureProfiles(['heap', 'goroutine'])).get(kind);
    if (!current) return undefined;
    const lifetimeStart = this.detector.history.lifetime?.start ?? 0;
    const windowStart = Math.max(this.now() - this.svc.window, lifetimeStart);
    const base = this.deps.store.profileNear(this.svc.name, kind, windowStart, 'after');
    if (!base || base.id === current.id) return undefined;
    // RSS or Sys growth with a flat heap: keep the profiles as evidence, but blame no heap function.
    const blame = kind === 'goroutine' || metric === 'heap' || (this.verdict?.trends.heap?.lowerPerHour ?? 0) > 0;
    const baseData = blame ? this.deps.store.profileData(base.id) : undefined;
    const baseline = baseData && decodeProfile(baseData);
    const a = {
      topGrowth: baseline && kind === 'heap' ? topGrowth(baseline, current.profile) : [],
      topGoroutines: baseline && kind === 'goroutine' ? goroutineGrowth(baseline, current.profile) : [],
    };
    return { ...a, baselineProfileId: base.id, currentProfileId: current.id };
  }
}
