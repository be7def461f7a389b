/**
 * The leak detector the daemon runs per service and `leakwatch replay` runs over a trace: the
 * same class, fed the same samples, with the clock of the samples (design §4).
 *
 *  1. samples are folded into buckets of floors as they arrive (buckets.ts, history.ts);
 *  2. when a bucket completes, every metric is judged (judge.ts): the trend window over several
 *     spans, a day and a week for slow leaks, with the checks that tell leaks from warm-ups,
 *     cycles, restarts, steps and noise (assess.ts, evidence.ts, saturation.ts);
 *  3. a verdict must persist: `leaking` after PERSIST consecutive judgements, `stopped` after
 *     growth has stayed stopped for the hold time (window/6, at least 3 buckets);
 *  4. the lifecycle (lifecycle.ts) turns that into incident events.
 *
 * Between bucket completions nothing the judgement reads changes, so a scrape costs a fold and
 * the lifecycle, and replaying a week at 15 s costs one judgement per bucket.
 */
import type { ServiceConfig } from '../config/schema.js';
import type { Incident, Metric } from '../model/incident.js';
import { METRICS } from '../model/incident.js';
import type { Sample } from '../model/sample.js';
import { incidentEvents, type IncidentEvent, type MetricAssessment } from './lifecycle.js';
import { DAY, History } from './history.js';
import { judgeLong, judgeWindow, type JudgeContext, type Judgement } from './judge.js';
import type { Trend } from '../model/trend.js';

export type { IncidentEvent, Trend };

export interface Verdict {
  state: 'ok' | 'leaking' | 'warming';
  trends: Partial<Record<Metric, Trend>>;
  events: IncidentEvent[];
}

/**
 * Consecutive judgements a leak verdict needs before an incident opens, one per completed fine
 * bucket (fineWidth: window/144, 2.5 min at a 6 h window, so six of them span 15 min). Many false
 * alerts were a verdict that held for a few minutes only.
 */
export const PERSIST = 6;
/** Long windows judged besides the trend window. */
export const LONG_WINDOWS = [DAY, 7 * DAY];

/** Resolve only after growth has stayed stopped this long: window/6, at least 3 buckets. */
export function holdTime(service: ServiceConfig, width: number): number {
  return Math.max(service.window / 6, 3 * width);
}

export class Detector {
  readonly history: History;
  private judged = new Map<Metric, Judgement>();
  private long = new Map<Metric, Judgement>();
  private streak = new Map<Metric, number>();
  private stoppedSince = new Map<Metric, number>();
  private trendFits: JudgeContext['trendFits'] = new Map();
  private version = -1;
  private hourlyVersion = -1;
  private life = -1;
  private judgeableMemo = { version: -1, start: -1, value: false };

  constructor(readonly service: ServiceConfig, history?: History) {
    this.history = history ?? new History({ window: service.window, longest: Math.max(...LONG_WINDOWS), gogc: service.gogc });
  }

  /** A detector with new settings over the same history (a reload that keeps window and GOGC). */
  withService(service: ServiceConfig): Detector {
    return new Detector(service, this.history);
  }

  /** Adds a sample (ascending t). */
  observe(s: Sample): void {
    this.history.push(s);
  }

  /**
   * The verdict at `now`. `incidents`: the service's open incidents and those resolved within
   * the cooldown (a resumed growth reopens them).
   */
  evaluate(now: number, incidents: readonly Incident[]): Verdict {
    const h = this.history;
    h.advance(now);
    const life = h.lifetime;
    if (!life) return { state: 'warming', trends: {}, events: [] };
    if (life.index !== this.life) {
      this.life = life.index;
      this.judged.clear();
      this.long.clear();
      this.streak.clear();
      this.stoppedSince.clear();
      this.trendFits.clear();
    }
    if (h.version !== this.version) {
      this.version = h.version;
      this.judge(now, life, new Set(incidents.filter((i) => i.resolvedAt === null).map((i) => i.metric)));
    }
    const hold = holdTime(this.service, h.width);
    const assessments: MetricAssessment[] = [];
    for (const m of METRICS) {
      const j = this.long.get(m)?.leaking && !this.judged.get(m)?.leaking ? this.long.get(m) : this.judged.get(m);
      if (!j) continue;
      const since = this.stoppedSince.get(m);
      const a: MetricAssessment = {
        metric: m, trend: j.trend,
        leaking: (this.streak.get(m) ?? 0) >= PERSIST,
        stopped: since !== undefined && now - since >= hold,
      };
      if (j.note !== undefined) a.note = j.note;
      const rise = this.judged.get(m)?.rise;
      if (rise !== undefined) a.rise = rise;
      const heapSys = this.judged.get(m)?.heapSysRise;
      if (heapSys !== undefined) a.heapSysRise = heapSys;
      assessments.push(a);
    }
    const heapOpen = incidents.some((i) => i.metric === 'heap' && i.resolvedAt === null);
    explainByHeap(assessments, heapOpen, this.heapJudgeable(now, life.start));
    const began = life.index > 0 || h.lastSample?.processStart !== undefined ? life.start : -Infinity;
    const events = incidentEvents(assessments, incidents, { now, lifetimeBegan: began, cooldown: this.service.cooldown });
    const trends: Partial<Record<Metric, Trend>> = {};
    for (const a of assessments) trends[a.metric] = a.trend;
    const opened = events.some((e) => e.type === 'open' || e.type === 'reopen');
    const resolved = new Set(events.flatMap((e) => (e.type === 'resolve' ? [e.incidentId] : [])));
    const stillOpen = incidents.some((i) => i.resolvedAt === null && !resolved.has(i.id));
    const state = opened || stillOpen ? 'leaking' : now < life.start + this.service.warmup ? 'warming' : 'ok';
    return { state, trends, events };
  }

  private judge(now: number, life: { index: number; start: number }, open: ReadonlySet<Metric>): void {
    const h = this.history;
    const ctx: JudgeContext = { service: this.service, history: h, now, life, heapJudgeable: this.heapJudgeable(now, life.start), open, trendFits: this.trendFits };
    if (h.hourlyVersion !== this.hourlyVersion) {
      this.hourlyVersion = h.hourlyVersion;
      this.long.clear();
      for (const m of METRICS) {
        const j = judgeLong(ctx, m, LONG_WINDOWS);
        if (j) this.long.set(m, j);
      }
    }
    for (const m of METRICS) {
      const j = judgeWindow(ctx, m);
      if (!j) {
        this.judged.delete(m);
        continue;
      }
      this.judged.set(m, j);
      const leaking = j.leaking || this.long.get(m)?.leaking === true;
      this.streak.set(m, leaking ? (this.streak.get(m) ?? 0) + 1 : 0);
      if (j.stopped && !leaking) {
        if (!this.stoppedSince.has(m)) this.stoppedSince.set(m, now);
      } else this.stoppedSince.delete(m);
    }
  }

  /** The heap floor only moves when a GC completes: without GCs late in the window, no evidence that heap growth stopped. */
  private heapJudgeable(now: number, lifeStart: number): boolean {
    const h = this.history;
    const from = Math.max(lifeStart + this.service.warmup, now - this.service.window);
    const recentFrom = now - (now - from) / 3;
    const start = h.indexAt(recentFrom);
    // Asked at every scrape; its buckets only change when one completes or the start moves.
    const memo = this.judgeableMemo;
    if (memo.version === h.version && memo.start === start) return memo.value;
    let gcs = 0;
    let known = false;
    const fine = h.fine;
    for (let i = start; i < fine.length; i++) {
      const b = fine[i];
      if (Number.isNaN(b.gcs)) continue;
      known = true;
      gcs += b.gcs;
    }
    this.judgeableMemo = { version: h.version, start, value: !known || gcs >= 2 };
    return this.judgeableMemo.value;
  }
}

/** Share of a Sys rise HeapSys must make up for it to be the heap's high-water mark. */
const HEAP_SYS_SHARE = 0.5;

/**
 * A heap leak also raises Sys and RSS; one incident is enough. RSS or Sys growth the heap does
 * not account for is reported on its own, with a note saying a heap profile cannot explain it.
 */
function explainByHeap(assessments: MetricAssessment[], heapIncidentOpen: boolean, heapJudgeable: boolean): void {
  const heap = assessments.find((a) => a.metric === 'heap');
  if (!heap) return;
  for (const a of assessments) {
    if ((a.metric !== 'rss' && a.metric !== 'sys') || !a.leaking) continue;
    const what = a.metric === 'rss' ? 'RSS' : 'Sys';
    // No recent GC: the heap floor is stale, so it cannot show the heap flat while a heap incident is open.
    if (!heapJudgeable && heapIncidentOpen) {
      a.explained = true;
      continue;
    }
    // Compare relative rates: RSS and Sys follow the GC goal, (1+GOGC/100) times the live heap.
    const rel = (x: MetricAssessment): number => x.trend.slopePerHour / Math.max(1, x.trend.current);
    if (rel(heap) >= (heap.leaking || heapIncidentOpen ? 0.25 : 0.5) * rel(a)) a.explained = true;
    // Pages follow the heap with a lag: RSS or Sys still catching up with a heap that grew earlier in
    // the window (a cache that filled) is the heap's growth, not memory outside it. The GC goal makes
    // the heap's footprint up to twice its floor.
    else if (heap.rise !== undefined && a.rise !== undefined && heap.rise > 0 && 2 * heap.rise >= a.rise) a.explained = true;
    // Sys keeps the address space the heap once took: a rise that is mostly HeapSys is the heap's
    // high-water mark (a traffic peak above the earlier ones), not the runtime's own memory leaking.
    else if (a.heapSysRise !== undefined && a.rise !== undefined && a.heapSysRise >= HEAP_SYS_SHARE * a.rise) a.explained = true;
    else if (heap.leaking) a.note = `${what} grows faster than the Go heap: most of the growth is outside the Go heap; see \`leakwatch explain\``;
    else a.note = `${what} grows while the Go heap is flat: the memory is outside the Go heap (goroutine stacks, runtime metadata, retained pages, cgo or mmap); a heap profile cannot explain it, see \`leakwatch explain\``;
  }
}

export interface DetectInput {
  service: ServiceConfig;
  /** Ascending t; the service's recent samples. */
  samples: readonly Sample[];
  now: number;
  /** Open incidents of this service (and those resolved within the cooldown). */
  open: readonly Incident[];
}

/**
 * The verdict from a list of samples, for callers without a running Detector (`status` from the
 * CLI, tests): the samples are fed in order and judged at every bucket, as the daemon would have.
 */
export function detect(input: DetectInput): Verdict {
  const d = new Detector(input.service);
  let version = d.history.version;
  for (const s of input.samples) {
    if (s.t > input.now) break;
    d.observe(s);
    if (d.history.version !== version) {
      version = d.history.version;
      d.evaluate(s.t, input.open);
    }
  }
  return d.evaluate(input.now, input.open);
}
