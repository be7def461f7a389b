/**
 * A service's recent past as the detector reads it: completed buckets of every process lifetime
 * within reach, fine (window/144) for the trend window plus a day (so the same hour yesterday can
 * be compared), and hourly for the long windows (a week). Fed one sample at a time; memory is
 * bounded by the number of buckets, not of samples, and a bucket is a row of typed-array columns
 * (bucket-ring.ts), not an object. Pure.
 */
import type { Metric } from '../model/incident.js';
import type { Sample } from '../model/sample.js';
import { Bucket, BucketFolder } from './buckets.js';
import { estimateGoalRatio, goalColumns, goalPinned, heapFloor } from './goal.js';
import { BucketRing, GOROUTINES, RSS, SYS, type BucketFields, type BucketView } from './bucket-ring.js';

/** The column `series` reads for a metric other than the heap (whose floor is made of GOAL_LIVE, CYCLE_MIN, CYCLE_LIVE and GOAL_MIN). */
const COLUMN_OF: Record<Exclude<Metric, 'heap'>, number> = { sys: SYS, rss: RSS, goroutines: GOROUTINES };

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** Points per trend window: enough for a tight rank interval, few enough that O(n²) fits are cheap. */
const POINTS_PER_WINDOW = 144;

/** Fine bucket width for a window: window/144 (2.5 min for 6 h), clamped to [1 s, 30 min]. */
export function fineWidth(window: number): number {
  return Math.min(30 * 60_000, Math.max(1000, Math.round(window / POINTS_PER_WINDOW)));
}

/** A series of bucket floors: `t` in hours since `origin`, `v` in the metric's unit, `u` uptime in hours. */
export interface Series {
  origin: number;
  t: number[];
  v: number[];
  u: number[];
  /** Bucket index of each point (to align with other series). */
  b: number[];
}

export interface HistoryOptions {
  window: number;
  /** How far back the long windows reach (0 for none). */
  longest: number;
  gogc: number | undefined;
}

export class History {
  readonly width: number;
  /** Fine buckets, oldest first, every lifetime, covering window + 1 day: column by column. */
  readonly fineRing: BucketRing;
  /** Hourly buckets (merged fine ones), oldest first, covering the longest long window. */
  readonly hourRing: BucketRing;
  /**
   * The same buckets as lists of views (`h.fine[i].b`, `for (const b of h.fine)`): the same
   * array while a reader holds it, built again after it was let go (bucket-ring.ts).
   */
  get fine(): readonly BucketView[] {
    return this.fineRing.views;
  }

  get hourly(): readonly BucketView[] {
    return this.hourRing.views;
  }
  /** Bumped whenever a fine bucket completes: verdicts only change then. */
  version = 0;
  hourlyVersion = 0;
  private readonly folder: BucketFolder;
  private readonly hourFolder: HourMerger;
  private readonly fineKeep: number;
  /** Per lifetime, for the current version: earlier lifetimes are read bucket by bucket too (usualWarmup). */
  private ratioCache = new Map<number, { ratio: number | undefined; pinned: boolean }>();
  private ratioVersion = -1;
  /** The goal fields of goalOf's buckets, filled afresh for each computation and read there only. */
  private readonly goalCols = goalColumns(POINTS_PER_WINDOW);

  constructor(readonly opts: HistoryOptions) {
    this.width = fineWidth(opts.window);
    // A day behind the window (the same hour yesterday), but never more than 8 windows of buckets:
    // a compressed 1-minute window has nothing to learn from the same second yesterday.
    this.fineKeep = Math.min(opts.window + DAY, 8 * opts.window) + 2 * this.width;
    // Old buckets are dropped 64 at a time (below), so the ring holds up to 64 more than it keeps.
    // Rates, GC counts and goal ratios are read within the trend window only (and goalOf's last
    // POINTS_PER_WINDOW buckets): older buckets keep their floors alone.
    const recent = { count: POINTS_PER_WINDOW + 8, span: opts.window + 4 * this.width };
    this.fineRing = new BucketRing(this.width, Math.ceil(this.fineKeep / this.width) + 66, recent);
    this.hourRing = new BucketRing(HOUR, Math.ceil(opts.longest / HOUR) + 3, { count: 1, span: 0 });
    this.hourFolder = new HourMerger((b) => {
      const ring = this.hourRing;
      ring.push(b);
      this.hourlyVersion++;
      const cut = b.t - opts.longest - HOUR;
      let drop = 0;
      while (drop < ring.length && ring.tAt(drop) < cut) drop++;
      if (drop) ring.dropFront(drop);
    });
    this.folder = new BucketFolder(this.width, opts.gogc, (b) => {
      const ring = this.fineRing;
      ring.push(b);
      this.version++;
      if (opts.longest > 0) this.hourFolder.add(b);
      const cut = b.t - this.fineKeep;
      let drop = 0;
      while (drop < ring.length && ring.tAt(drop) < cut) drop++;
      if (drop > 64 || (drop > 0 && ring.length > 4096)) ring.dropFront(drop);
    });
  }

  /** Adds a sample (ascending t); returns true when it began a new process lifetime. */
  push(s: Sample): boolean {
    return this.folder.push(s);
  }

  /**
   * Room for the buckets of `span` ms of history at once, before it is loaded (a restart reading
   * the store): one allocation per ring instead of a growth step every few dozen buckets, with a
   * growth step's room to spare so the first live buckets do not grow it again at once.
   */
  reserve(span: number): void {
    this.fineRing.reserve(span >= this.fineKeep ? Infinity : Math.ceil((1.25 * span) / this.width) + 2);
    this.hourRing.reserve(Math.ceil((1.25 * span) / HOUR) + 2);
  }

  /** Completes the bucket in progress if `now` is past its end. */
  advance(now: number): void {
    this.folder.closeBefore(now);
  }

  get lastSample(): Sample | undefined {
    return this.folder.last;
  }

  /** Ordinal and start (Unix ms) of the current process lifetime. */
  get lifetime(): { index: number; start: number } | undefined {
    const start = this.folder.lifetimeStart;
    return start === undefined ? undefined : { index: this.folder.lifetime, start };
  }

  /** Index of the first bucket of `list` (default the fine ones) with t >= `t` (binary search). */
  indexAt(t: number, list: readonly BucketFields[] = this.fine): number {
    const ring = this.ringOf(list);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ring ? ring.tAt(mid) : list[mid].t) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * For each bucket index of `bs` (ascending, a series' `b`), the fine bucket with index
   * `b − shift` (the first, where a restart split one), or undefined: one binary search, then one
   * forward pass.
   */
  bucketsOf(bs: readonly number[], shift = 0): (BucketView | undefined)[] {
    const fine = this.fine;
    const out = new Array<BucketView | undefined>(bs.length);
    // The first bucket with index >= bs[0] − shift: its middle is at or past the start of that index.
    let j = bs.length ? this.indexAt((bs[0] - shift) * this.width) : 0;
    for (let i = 0; i < bs.length; i++) {
      const want = bs[i] - shift;
      while (j < fine.length && fine[j].b < want) j++;
      out[i] = j < fine.length && fine[j].b === want ? fine[j] : undefined;
    }
    return out;
  }

  /** 1+GOGC/100 estimated from the buckets of lifetime `life` (when GOGC is not known). */
  goalRatio(life: number): number | undefined {
    return this.goalOf(life).ratio;
  }

  /** Whether a memory limit pins the GC goal in lifetime `life` (see heapFloor). */
  goalPinned(life: number): boolean {
    return this.goalOf(life).pinned;
  }

  private goalOf(life: number): { ratio: number | undefined; pinned: boolean } {
    if (this.ratioVersion !== this.version) {
      this.ratioCache.clear();
      this.ratioVersion = this.version;
    }
    let e = this.ratioCache.get(life);
    if (!e) {
      const ring = this.fineRing, own = this.goalCols;
      own.length = 0;
      for (let i = Math.max(0, ring.length - POINTS_PER_WINDOW); i < ring.length; i++) if (ring.lifeAt(i) === life) ring.goalFieldsInto(i, own);
      const ratio = estimateGoalRatio(own);
      e = { ratio, pinned: goalPinned(own, ratio) };
      this.ratioCache.set(life, e);
    }
    return e;
  }

  /** The floor of one metric in one bucket (NaN when not observed). */
  value(b: BucketFields, metric: Metric, ratio: number | undefined): number {
    switch (metric) {
      case 'heap':
        return heapFloor(b, ratio, this.goalPinned(b.life));
      case 'sys':
        return b.sys;
      case 'rss':
        return b.rss;
      case 'goroutines':
        return b.goroutines;
    }
  }

  /**
   * Floors of `metric` from buckets `list[from..to)` (`fine` or `hourly`) of lifetime `life` whose
   * uptime is at least `minUptime` ms. Time in hours since `origin`. Read from the ring in place:
   * the detector builds a few of these per metric per bucket.
   */
  series(metric: Metric, list: readonly BucketFields[], from: number, to: number, life: number, minUptime: number, origin: number): Series {
    const ring = this.ringOf(list);
    if (!ring) throw new Error('History.series: the list must be fine or hourly');
    const out: Series = { origin, t: [], v: [], u: [], b: [] };
    const lifeStart = ring.lifeStartOf(life);
    const ratio = metric === 'heap' ? this.goalRatio(life) : undefined;
    const pinned = metric === 'heap' && this.goalPinned(life);
    const heap = { goalLive: NaN, cycleMin: NaN, cycleLive: NaN, goalMin: NaN };
    const col = metric === 'heap' ? -1 : COLUMN_OF[metric];
    for (let i = from; i < to; i++) {
      if (ring.lifeAt(i) !== life) continue;
      const t = ring.tAt(i);
      if (t - lifeStart < minUptime) continue;
      let v: number;
      const q = ring.first + i;
      if (col >= 0) v = ring.cell(q, col);
      else {
        ring.heapFloorsInto(q, heap);
        v = heapFloor(heap, ratio, pinned);
      }
      if (Number.isNaN(v)) continue;
      out.t.push((t - origin) / HOUR);
      out.v.push(v);
      out.u.push((t - lifeStart) / HOUR);
      out.b.push(ring.bAt(i));
    }
    return out;
  }

  /** Typed-array bytes the buckets take (footprint reports). */
  get bytes(): number {
    return this.fineRing.bytes + this.hourRing.bytes;
  }

  private ringOf(list: readonly BucketFields[]): BucketRing | undefined {
    return list === this.fine ? this.fineRing : list === this.hourly ? this.hourRing : undefined;
  }
}

/** Merges consecutive fine buckets of one lifetime into hourly ones (floors stay minima). */
class HourMerger {
  private cur: Bucket | undefined;

  constructor(private readonly emit: (b: Bucket) => void) {}

  add(f: Bucket): void {
    const hour = Math.floor(f.t / HOUR);
    if (this.cur && (this.cur.b !== hour || this.cur.life !== f.life)) {
      this.emit(this.cur);
      this.cur = undefined;
    }
    if (!this.cur) {
      const h = new Bucket();
      h.b = hour;
      h.t = (hour + 0.5) * HOUR;
      h.life = f.life;
      h.lifeStart = f.lifeStart;
      this.cur = h;
    }
    mergeInto(this.cur, f);
  }
}

const nanMin = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b));
const nanMax = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));
const nanSum = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : a + b);

function mergeInto(h: Bucket, f: Bucket): void {
  h.samples += f.samples;
  h.goalLive = nanMin(h.goalLive, f.goalLive);
  h.cycleMin = nanMin(h.cycleMin, f.cycleMin);
  h.cycleLive = nanMin(h.cycleLive, f.cycleLive);
  h.goalMin = nanMin(h.goalMin, f.goalMin);
  h.ratioMax = nanMax(h.ratioMax, f.ratioMax);
  h.sys = nanMin(h.sys, f.sys);
  h.rss = nanMin(h.rss, f.rss);
  h.goroutines = nanMin(h.goroutines, f.goroutines);
  h.heapAllocMax = nanMax(h.heapAllocMax, f.heapAllocMax);
  h.allocBytes += f.allocBytes;
  h.allocMs += f.allocMs;
  h.rateN += f.rateN;
  h.rateSum += f.rateSum;
  h.rateSq += f.rateSq;
  h.gcs = nanSum(h.gcs, f.gcs);
  h.pauseNs = nanSum(h.pauseNs, f.pauseNs);
  if (!Number.isNaN(f.memlimit)) h.memlimit = f.memlimit;
  h.samplesAtMinimum += f.samplesAtMinimum;
}
