/**
 * Samples folded into time buckets, one at a time. Pure and incremental: the daemon and replay
 * push each sample once, and a completed bucket never changes, so the detector works on a few
 * hundred bucket records per service instead of refolding thousands of samples per scrape.
 *
 * Why floors: HeapAlloc saws between the live heap and the GC goal every cycle, goroutine counts
 * and RSS jitter with every request. The level a leak raises is the bottom of those saws, so
 * every metric is reduced to one minimum per bucket (design §4).
 */
import type { Sample } from '../model/sample.js';
import { isRestart } from '../model/restart.js';
import { allocRateOf, rateVarianceOf, type BucketFields } from './bucket-ring.js';

/** GOMEMLIMIT values at or above this mean "no limit" (math.MaxInt64 as a float). */
export const NO_LIMIT = 2 ** 62;

/** One completed bucket of one process lifetime. Fields are minima unless said otherwise. */
export class Bucket implements BucketFields {
  /** Bucket index: floor(t / width). */
  b = 0;
  /** Middle of the bucket, Unix ms. */
  t = 0;
  /** Ordinal of the process lifetime (0, 1, …) and when it began (Unix ms). */
  life = 0;
  lifeStart = 0;
  samples = 0;
  /** Live heap from a GOGC goal with a known GOGC (NextGC/(1+GOGC/100)), when not pinned by GOMEMLIMIT. */
  goalLive = NaN;
  /** Lowest HeapAlloc seen in each GC cycle (NumGC unchanged): the closest sample to the post-GC live heap. */
  cycleMin = NaN;
  /** The same, less what was allocated since the cycle's GC ended where LastGC tells (heapLeftByGC): the heap floor under a memory limit. */
  cycleLive = NaN;
  /** Lowest GOGC goal where GOGC is unknown, and the highest NextGC/HeapAlloc there. */
  goalMin = NaN;
  ratioMax = NaN;
  sys = NaN;
  /** Least HeapSys: the address space the heap holds, which Sys includes. */
  heapSys = NaN;
  rss = NaN;
  goroutines = NaN;
  /** Highest HeapAlloc (how close the sawtooth's peaks come to a limit). */
  heapAllocMax = NaN;
  /** Bytes allocated and ms elapsed over intervals ending in the bucket; count, sum, sum of squares of their rates (bytes/s). */
  allocBytes = 0;
  allocMs = 0;
  rateN = 0;
  rateSum = 0;
  rateSq = 0;
  /** GC cycles completed and GC pause ns over the bucket's intervals (NaN when NumGC is unknown). */
  gcs = NaN;
  pauseNs = NaN;
  /** Last known GOMEMLIMIT (NaN when none or unlimited). */
  memlimit = NaN;
  /** Samples whose GC goal was the runtime's minimum heap (see heapMinimum): it says nothing of the live heap. */
  samplesAtMinimum = 0;

  /** Mean allocation rate (bytes/s), NaN when unknown. */
  get allocRate(): number {
    return allocRateOf(this.allocBytes, this.allocMs);
  }

  /** Variance of the mean rate from the scatter of its intervals (NaN with fewer than 3). */
  get rateVariance(): number {
    return rateVarianceOf(this.rateN, this.rateSum, this.rateSq);
  }
}

const minOf = (a: number, b: number | undefined): number => (b === undefined || !Number.isFinite(b) ? a : Number.isNaN(a) || b < a ? b : a);

/**
 * The runtime's minimum heap goal, 4 MiB × GOGC/100 (runtime/mgcpacer.go, defaultHeapMinimum):
 * below it the GC does not size its goal to the live heap. GOGC 100 when not known.
 */
export function heapMinimum(gogc: number | undefined): number {
  return ((4 << 20) * (gogc ?? 100)) / 100;
}

/** NextGC when it is a GOGC goal: not pinned by a known GOMEMLIMIT (then it is the limit's goal). */
function gogcGoal(s: Sample): number | undefined {
  if (s.nextGC === undefined || s.nextGC <= 0) return undefined;
  if (s.gomemlimit !== undefined && s.gomemlimit > 0 && s.gomemlimit < NO_LIMIT && s.nextGC >= 0.8 * s.gomemlimit) return undefined;
  return s.nextGC;
}

/**
 * `heap` (the sample's HeapAlloc) less what was allocated since the last GC ended, when that GC
 * ended since the previous sample (`prev`, the last with TotalAlloc). A scrape lands some way into
 * a GC cycle, so the least HeapAlloc of a cycle still carries what was allocated since the cycle
 * began: a wander of up to a whole cycle's allocation where a memory limit, not GOGC, sets the goal
 * and no goal tells the live heap. What is taken off is the time since LastGC at the slower of two
 * rates, this interval's and the one before (`prevPerMs`, bytes/ms): a burst within one interval
 * that ended in the GC (a batch job) is not spread over the time after it. A burst over both can
 * still take off too much: never below 0. HeapAlloc as it is where LastGC, NumGC or the rates are
 * unknown, or where the target's clock is behind the daemon's by more than the interval (its GC
 * "ended" before the previous sample); a smaller skew is not seen.
 */
export function heapLeftByGC(heap: number, s: Sample, prev: Sample | undefined, prevGC: number | undefined, prevPerMs: number | undefined): number {
  const lastGC = s.lastGC ?? 0;
  if (!(lastGC > 0) || s.numGC === undefined || s.numGC === prevGC || prev?.totalAlloc === undefined || s.totalAlloc === undefined) return heap;
  const interval = s.t - prev.t;
  const since = s.t - lastGC / 1e6;
  if (prevPerMs === undefined || !(interval > 0) || !(since <= interval) || s.totalAlloc < prev.totalAlloc) return heap;
  // A scrape stamped before the runtime read its MemStats sees a GC that ended after its stamp: nothing to take off.
  return Math.max(0, heap - Math.min((s.totalAlloc - prev.totalAlloc) / interval, prevPerMs) * Math.max(0, since));
}

/**
 * Folds samples, in time order, into buckets of `width` ms. A restart closes the current bucket
 * early: a bucket never mixes two processes. `gogc` is the configured GOGC for targets that do not
 * expose it.
 */
export class BucketFolder {
  private cur: Bucket | undefined;
  private prev: Sample | undefined;
  private life = -1;
  private lifeStart = 0;
  private cycleMin = Infinity;
  private cycleLive = Infinity;
  private prevGC: number | undefined;
  /** Bytes allocated per ms over the latest interval between samples with TotalAlloc (set below, after the heap reads it). */
  private allocPerMs: number | undefined;
  /**
   * The last sample that had each cumulative counter: a pprof-only service reads MemStats on a
   * slower cadence than its samples, so intervals run between the samples that carry them.
   */
  private lastAlloc: Sample | undefined;
  private lastGCSample: Sample | undefined;
  private lastPause: Sample | undefined;

  constructor(readonly width: number, readonly gogc: number | undefined, private readonly emit: (b: Bucket) => void) {}

  /** Start of the current lifetime (Unix ms), or undefined before the first sample. */
  get lifetimeStart(): number | undefined {
    return this.life < 0 ? undefined : this.lifeStart;
  }

  get lifetime(): number {
    return this.life;
  }

  get last(): Sample | undefined {
    return this.prev;
  }

  /** Adds one sample; returns true when it began a new process lifetime. */
  push(s: Sample): boolean {
    const restarted = this.prev !== undefined && isRestart(this.prev, s);
    if (this.prev === undefined || restarted) {
      this.flush();
      this.life++;
      this.lifeStart = s.processStart ?? s.t;
      this.cycleMin = this.cycleLive = Infinity;
      this.prevGC = this.allocPerMs = undefined;
      // The previous process's counters say nothing about this one's first interval.
      this.prev = undefined;
      this.lastAlloc = this.lastGCSample = this.lastPause = undefined;
    }
    const b = Math.floor(s.t / this.width);
    if (this.cur && this.cur.b !== b) this.flush();
    if (!this.cur) {
      const nb = new Bucket();
      nb.b = b;
      nb.t = (b + 0.5) * this.width;
      nb.life = this.life;
      nb.lifeStart = this.lifeStart;
      this.cur = nb;
    }
    this.fold(this.cur, s);
    this.prev = s;
    if (s.totalAlloc !== undefined) this.lastAlloc = s;
    if (s.numGC !== undefined) this.lastGCSample = s;
    if (s.pauseTotalNs !== undefined) this.lastPause = s;
    return restarted;
  }

  /** Emits the bucket in progress if it ends at or before `now` (no sample will complete it). */
  closeBefore(now: number): void {
    if (this.cur && (this.cur.b + 1) * this.width <= now) this.flush();
  }

  private flush(): void {
    if (this.cur) this.emit(this.cur);
    this.cur = undefined;
  }

  private fold(m: Bucket, s: Sample): void {
    m.samples++;
    const g = this.gogc ?? s.gogc;
    const goal = gogcGoal(s);
    // A goal at the minimum heap bounds the live heap (goal/(1+GOGC/100)) but does not follow it:
    // neither a floor nor a GOGC ratio can be read from it, and the GC runs for the minimum, not
    // for what was allocated, so LastGC says nothing of the heap it left either.
    const atMinimum = goal !== undefined && goal <= heapMinimum(g);
    if (s.heapAlloc !== undefined) {
      const sameCycle = s.numGC !== undefined && s.numGC === this.prevGC;
      const live = atMinimum ? s.heapAlloc : heapLeftByGC(s.heapAlloc, s, this.lastAlloc, this.prevGC, this.allocPerMs);
      this.cycleMin = sameCycle ? Math.min(this.cycleMin, s.heapAlloc) : s.heapAlloc;
      this.cycleLive = sameCycle ? Math.min(this.cycleLive, live) : live;
      this.prevGC = s.numGC;
      m.cycleMin = minOf(m.cycleMin, this.cycleMin);
      m.cycleLive = minOf(m.cycleLive, this.cycleLive);
      m.heapAllocMax = Number.isNaN(m.heapAllocMax) ? s.heapAlloc : Math.max(m.heapAllocMax, s.heapAlloc);
    }
    const pa = this.lastAlloc;
    // A counter that went backwards is a restart: that interval allocated an unknown amount.
    if (pa?.totalAlloc !== undefined && s.totalAlloc !== undefined && s.totalAlloc >= pa.totalAlloc && s.t > pa.t) {
      const bytes = s.totalAlloc - pa.totalAlloc;
      m.allocBytes += bytes;
      m.allocMs += s.t - pa.t;
      this.allocPerMs = bytes / (s.t - pa.t);
      const r = this.allocPerMs * 1000;
      m.rateN++;
      m.rateSum += r;
      m.rateSq += r * r;
    }
    const pg = this.lastGCSample;
    if (pg?.numGC !== undefined && s.numGC !== undefined && s.numGC >= pg.numGC && s.t > pg.t) m.gcs = (Number.isNaN(m.gcs) ? 0 : m.gcs) + (s.numGC - pg.numGC);
    const pp = this.lastPause;
    if (pp?.pauseTotalNs !== undefined && s.pauseTotalNs !== undefined && s.pauseTotalNs >= pp.pauseTotalNs && s.t > pp.t) {
      m.pauseNs = (Number.isNaN(m.pauseNs) ? 0 : m.pauseNs) + (s.pauseTotalNs - pp.pauseTotalNs);
    }
    if (atMinimum) m.samplesAtMinimum++;
    else if (goal !== undefined && g !== undefined && g > 0) m.goalLive = minOf(m.goalLive, goal / (1 + g / 100));
    else if (goal !== undefined && g === undefined) {
      m.goalMin = minOf(m.goalMin, goal);
      if (s.heapAlloc !== undefined && s.heapAlloc > 0) m.ratioMax = Math.max(Number.isNaN(m.ratioMax) ? 0 : m.ratioMax, goal / s.heapAlloc);
    }
    m.sys = minOf(m.sys, s.sys);
    m.heapSys = minOf(m.heapSys, s.heapSys);
    m.rss = minOf(m.rss, s.rss);
    m.goroutines = minOf(m.goroutines, s.goroutines);
    if (s.gomemlimit !== undefined && s.gomemlimit > 0 && s.gomemlimit < NO_LIMIT) m.memlimit = s.gomemlimit;
  }
}
