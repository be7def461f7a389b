/**
 * The scrape plan: which endpoints one scheduled scrape fetches. Each field comes from the cheapest
 * source that has it (what each costs the target: README, `npm run bench:overhead`):
 *
 *   /metrics (client_golang)   MemStats, goroutines, RSS, start time   ~0.5 ms of target CPU
 *   /debug/vars (expvar)       MemStats                                ~0.5 ms
 *   /debug/pprof/ (index page) the goroutine count                     ~1 ms
 *   heap?debug=1               MemStats, after every allocation stack   up to hundreds of ms
 *
 * heap?debug=1 is fetched only when no cheaper source gives MemStats, and then only every
 * `heapTextEveryMs` (config `heapTextSchedule`); goroutine?debug=1 never on the sample schedule,
 * only at that same slower cadence when the index page is not served (a custom mux without
 * pprof.Index). The plan remembers what
 * each source gave last time, so a /metrics without go_memstats_* (a custom registry) or a source
 * that failed is backed up by the next one, in the same scrape and from the start of the next.
 * Pure state, no I/O: scrape.ts runs the fetches.
 */
import type { Sample } from '../model/sample.js';
import { hasProcess, type ScrapeTarget } from './target.js';

export type FetchName = 'metrics' | 'expvar' | 'pprofIndex' | 'goroutineText' | 'heapText' | 'proc';
type Group = 'memstats' | 'goroutines';

/** What each source can give, at best. */
const CAN_GIVE: Record<Exclude<FetchName, 'proc'>, readonly Group[]> = {
  metrics: ['memstats', 'goroutines'],
  expvar: ['memstats'],
  pprofIndex: ['goroutines'],
  goroutineText: ['goroutines'],
  heapText: ['memstats'],
};

/** Fields that say a part carried MemStats or a goroutine count. */
export function groupsOf(part: Partial<Sample> | undefined): Set<Group> {
  const g = new Set<Group>();
  if (!part) return g;
  if (part.heapAlloc !== undefined || part.sys !== undefined) g.add('memstats');
  if (part.goroutines !== undefined) g.add('goroutines');
  return g;
}

/** Restart evidence carried from sample to sample (compared, never stored). */
const RESTART_FIELDS = ['pid', 'processStart', 'numGC', 'totalAlloc'] as const;

export interface PlanOptions {
  /** How often heap?debug=1 may be fetched when it is the only MemStats source (ms). 0: every scrape. */
  heapTextEveryMs?: number;
}

export class ScrapePlan {
  private readonly heapTextEveryMs: number;
  /** When each slow-cadence page (heap?debug=1, goroutine?debug=1) was last fetched. */
  private readonly lastSlow = new Map<FetchName, number>();
  /** Per source: what it gave the last time it was fetched (empty after a failure). */
  private readonly gave = new Map<FetchName, Set<Group>>();
  /** The newest known value of each restart field, whichever sample it came in. */
  private known: Partial<Sample> = {};

  constructor(opts: PlanOptions = {}) {
    this.heapTextEveryMs = opts.heapTextEveryMs ?? 0;
  }

  /** Whether a slow page may be fetched at `at`: a little early is fine, ticks jitter by milliseconds. */
  private due(name: FetchName, at: number): boolean {
    const last = this.lastSlow.get(name);
    if (last === undefined || this.heapTextEveryMs <= 0) return true;
    const slack = Math.min(1000, this.heapTextEveryMs / 10);
    return at - last >= this.heapTextEveryMs - slack;
  }

  /** The first round of fetches: the cheapest set expected to give MemStats and goroutines. */
  firstRound(svc: ScrapeTarget, at: number): FetchName[] {
    return this.round(svc, at, new Set(), new Set());
  }

  /** Fetches that back up what the first round should have given and did not (a failure, a missing family). */
  secondRound(svc: ScrapeTarget, at: number, done: ReadonlySet<FetchName>, got: ReadonlySet<Group>): FetchName[] {
    return this.round(svc, at, done, got);
  }

  private round(svc: ScrapeTarget, at: number, done: ReadonlySet<FetchName>, got: ReadonlySet<Group>): FetchName[] {
    const out: FetchName[] = [];
    const covered = new Set<Group>(got);
    const consider = (name: Exclude<FetchName, 'proc'>, configured: boolean): void => {
      if (!configured || done.has(name)) return;
      const useful = CAN_GIVE[name].filter((g) => !covered.has(g));
      if (useful.length === 0) return;
      out.push(name);
      for (const g of this.expected(name)) covered.add(g);
    };
    if (hasProcess(svc) && !done.has('proc')) out.push('proc');
    consider('metrics', svc.metrics !== undefined);
    consider('expvar', svc.expvar !== undefined);
    consider('pprofIndex', svc.pprof !== undefined);
    const noIndex = this.gave.get('pprofIndex')?.size === 0;
    consider('goroutineText', svc.pprof !== undefined && noIndex && this.due('goroutineText', at));
    consider('heapText', svc.pprof !== undefined && this.due('heapText', at));
    return out;
  }

  /** What a source is expected to give: what it gave last time, or all it can before it was ever tried. */
  private expected(name: Exclude<FetchName, 'proc'>): readonly Group[] {
    const last = this.gave.get(name);
    return last ? [...last] : CAN_GIVE[name];
  }

  /** Records what a fetch gave (undefined: it failed). */
  record(name: FetchName, at: number, part: Partial<Sample> | undefined): void {
    this.gave.set(name, groupsOf(part));
    if (name === 'heapText' || name === 'goroutineText') this.lastSlow.set(name, at);
  }

  /**
   * The sample to compare the next one with for restarts: the newest known pid, start time, NumGC
   * and TotalAlloc, even when the latest sample lacked some (between two heap?debug=1 fetches a
   * pprof-only sample has no NumGC).
   */
  get lastKnown(): Sample | undefined {
    return RESTART_FIELDS.some((f) => this.known[f] !== undefined) ? ({ t: 0, ...this.known } as Sample) : undefined;
  }

  /** Takes the restart fields of a sample; after a restart the old process's values are forgotten. */
  remember(s: Sample): void {
    if (s.restart) this.known = {};
    for (const f of RESTART_FIELDS) if (s[f] !== undefined) this.known[f] = s[f];
  }
}
