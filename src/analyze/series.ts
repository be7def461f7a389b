/**
 * From raw samples to the series the detector fits: process lifetimes, and per-bucket floors of
 * each metric. Pure.
 *
 * Why floors: HeapAlloc saws between the live heap and the GC goal every cycle, goroutine counts
 * and RSS jitter with every request. The level a leak raises is the bottom of those saws, so
 * every metric is reduced to one minimum per time bucket. Buckets also bound the work per fit
 * (≈72 points whatever the scrape interval), which keeps replay of a day at 15 s cheap.
 */
import type { Metric } from '../model/incident.js';
import type { Sample } from '../model/sample.js';
import { detectRestart } from '../model/restart.js';

/** Bucketed floor series of one metric. `t` in hours since `origin`, `v` in the metric's unit. */
export interface FloorSeries {
  t: number[];
  v: number[];
}

/**
 * Per-metric floors, plus the traffic proxy growth is judged against (traffic.ts): each bucket's mean
 * allocation rate (bytes/s from TotalAlloc), where the samples tell it.
 */
export type FloorSet = Record<Metric, FloorSeries> & { allocRate: RateSeries };

/**
 * Mean allocation rate per bucket (bytes/s), with the variance of that mean as its scrape-to-scrape
 * scatter tells it (NaN with fewer than 3 intervals): the proxy's own measurement noise.
 */
export interface RateSeries extends FloorSeries {
  variance: number[];
}

/** A process restart between two consecutive samples (design §4: never fit across one). */
export function isRestart(prev: Sample, cur: Sample): boolean {
  return cur.restart === true || detectRestart(prev, cur);
}

/**
 * On the last sample of the latest call: its predecessor and the latest restart at or before it.
 * The daemon and replay ask again at every scrape with one more sample; this keeps the answer O(1)
 * per new sample instead of a scan of the whole window. Only the newest sample carries a memo (it
 * moves forward at each call), and its links are weak: a strong `prev` would chain every sample
 * ever scraped to its predecessor and keep them all alive.
 */
const restartChain = new WeakMap<Sample, { prev: WeakRef<Sample>; lastRestart: WeakRef<Sample> | undefined; since: number }>();

/** Index of the first sample of the last process lifetime in `samples`. */
export function lifetimeStartIndex(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n === 0) return 0;
  // A memo is usable if it links to the same predecessor and its chain reaches back to our first sample.
  const usable = (i: number): boolean => {
    const m = restartChain.get(samples[i]);
    return m !== undefined && m.prev.deref() === samples[i - 1] && m.since <= samples[0].t;
  };
  let i = n - 1;
  while (i > 0 && !usable(i)) i--;
  const memo = i > 0 ? restartChain.get(samples[i]) : undefined;
  let last = memo?.lastRestart?.deref();
  const since = memo?.since ?? samples[0].t;
  for (let j = i + 1; j < n; j++) {
    if (isRestart(samples[j - 1], samples[j])) last = samples[j];
  }
  if (n > 1 && i < n - 1) {
    if (memo) restartChain.delete(samples[i]);
    restartChain.set(samples[n - 1], { prev: new WeakRef(samples[n - 2]), lastRestart: last && new WeakRef(last), since });
  }
  if (last === undefined) return 0;
  // The restart sample may lie before this slice: then the whole slice is one lifetime.
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid].t < last.t) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo; k < n && samples[k].t === last.t; k++) if (samples[k] === last) return k;
  return 0;
}

/**
 * When the current process began, as far as the samples tell: its processStart when known,
 * else the first sample after a visible restart, else -Infinity (no restart seen).
 */
export function lifetimeBegan(samples: readonly Sample[], startIndex: number): number {
  const first = samples[startIndex];
  if (first === undefined) return -Infinity;
  if (first.processStart !== undefined) return first.processStart;
  return startIndex > 0 ? first.t : -Infinity;
}

const HOUR = 3_600_000;
/** Points per full window: enough for a tight rank interval, few enough that O(n²) fits are cheap. */
const POINTS_PER_WINDOW = 72;

/** Bucket width for a window: window/72 (5 min for 6 h), clamped to [1 s, 30 min]. */
export function bucketWidth(window: number): number {
  return Math.min(30 * 60_000, Math.max(1000, Math.round(window / POINTS_PER_WINDOW)));
}

/** GOMEMLIMIT values at or above this mean "no limit" (math.MaxInt64 as a float). */
const NO_LIMIT = 2 ** 62;

/** NextGC when it is a GOGC goal: not pinned by a known GOMEMLIMIT (then it is the limit's goal). */
function gogcGoal(s: Sample): number | undefined {
  if (s.nextGC === undefined || s.nextGC <= 0) return undefined;
  if (s.gomemlimit !== undefined && s.gomemlimit > 0 && s.gomemlimit < NO_LIMIT && s.nextGC >= 0.8 * s.gomemlimit) return undefined;
  return s.nextGC;
}

/**
 * Per completed bucket: [0] live heap from a known GOGC, [1] HeapAlloc per-cycle floor, [2] Sys,
 * [3] RSS, [4] goroutines, [5] lowest GOGC goal where GOGC is unknown, [6] highest
 * NextGC/HeapAlloc there (a sample just after a GC sees the full 1+GOGC/100), [7] bytes
 * allocated and [8] ms elapsed between consecutive samples ending in the bucket (TotalAlloc),
 * [9] count, [10] sum and [11] sum of squares of those intervals' rates (bytes/s).
 */
type BucketMins = (number | undefined)[];

/**
 * Most services never tell their GOGC. Estimate 1+GOGC/100 as a high quantile of the buckets'
 * best NextGC/HeapAlloc ratios, snapped to steps of 5 GOGC points so it stays put from one
 * scrape to the next (and the fits stay cached).
 */
function estimateGoalRatio(buckets: readonly BucketMins[]): number | undefined {
  const ratios = buckets.flatMap((m) => (m[6] !== undefined && m[6] > 1 ? [m[6]] : []));
  if (ratios.length < 3) return undefined;
  ratios.sort((a, b) => a - b);
  const q = ratios[Math.floor(0.9 * (ratios.length - 1))];
  return 1 + Math.round((q - 1) * 20) / 20;
}

/**
 * A completed bucket never changes, but the daemon and replay ask for it on every scrape. Its
 * floors are memoised on its first sample object (samples are immutable values), and reused only
 * when the same sample objects, parameters and GC-cycle carry-in are seen again.
 */
interface BucketMemo {
  width: number;
  gogc: number | undefined;
  inGC: number | undefined;
  inMin: number;
  /**
   * The sample before the bucket (the first allocation interval starts there) and the bucket's
   * last one. Strong links are safe: only buckets of MEMO_MIN_SAMPLES or more are memoised, so
   * neither is ever another memo's key and memos cannot chain old samples together.
   */
  before: Sample | undefined;
  count: number;
  last: Sample;
  outGC: number | undefined;
  outMin: number;
  mins: BucketMins;
}

const bucketMemo = new WeakMap<Sample, BucketMemo>();
/** Buckets of fewer samples are recomputed: a memo would cost more memory than the scan costs time. */
const MEMO_MIN_SAMPLES = 4;

function addPoint(series: FloorSeries, t: number, v: number | undefined): void {
  if (v === undefined) return;
  series.t.push(t);
  series.v.push(v);
}

const minOf = (a: number | undefined, b: number | undefined): number | undefined =>
  b === undefined || !Number.isFinite(b) ? a : a === undefined || b < a ? b : a;

/**
 * Floors of samples[from..] with fromT <= t, in completed buckets (bucket end <= now).
 * Heap: the live heap NextGC/(1+GOGC/100) when GOGC is known and the goal is not pinned by
 * GOMEMLIMIT; otherwise the lowest HeapAlloc seen in each GC cycle (NumGC unchanged), which is
 * the closest sample to the post-GC live heap. If the bucket's goal-derived floor is far below
 * the HeapAlloc floor the goal is pinned by a limit we were not told about, and HeapAlloc wins.
 */
export function floorSeries(samples: readonly Sample[], from: number, fromT: number, now: number, width: number, gogc: number | undefined): FloorSet {
  const nowBucket = Math.floor(now / width);
  const origin = Math.floor(fromT / width) * width;
  const out: FloorSet = {
    heap: { t: [], v: [] }, sys: { t: [], v: [] }, rss: { t: [], v: [] }, goroutines: { t: [], v: [] },
    allocRate: { t: [], v: [], variance: [] },
  };
  let cycleMin = Infinity;
  let prevGC: number | undefined;
  const carry = (s: Sample): void => {
    if (s.heapAlloc === undefined) return;
    cycleMin = s.numGC !== undefined && s.numGC === prevGC ? Math.min(cycleMin, s.heapAlloc) : s.heapAlloc;
    prevGC = s.numGC;
  };
  const buckets: BucketMins[] = [];
  const times: number[] = [];
  let i = from;
  for (; i < samples.length && samples[i].t < fromT; i++) carry(samples[i]);
  while (i < samples.length) {
    const b = Math.floor(samples[i].t / width);
    if (b >= nowBucket) break;
    const first = samples[i];
    const m = bucketMemo.get(first);
    let mins: BucketMins;
    const before = i > from ? samples[i - 1] : undefined;
    if (m && m.width === width && m.gogc === gogc && m.inGC === prevGC && m.inMin === cycleMin && m.before === before && samples[i + m.count - 1] === m.last) {
      mins = m.mins;
      prevGC = m.outGC;
      cycleMin = m.outMin;
      i += m.count;
    } else {
      const inGC = prevGC;
      const inMin = cycleMin;
      mins = new Array<number | undefined>(12).fill(undefined);
      let j = i;
      for (; j < samples.length && Math.floor(samples[j].t / width) === b; j++) {
        const s = samples[j];
        carry(s);
        const p = j > from ? samples[j - 1] : undefined;
        // A counter that went backwards is a restart: that interval allocated an unknown amount.
        if (p?.totalAlloc !== undefined && s.totalAlloc !== undefined && s.totalAlloc >= p.totalAlloc && s.t > p.t) {
          mins[7] = (mins[7] ?? 0) + (s.totalAlloc - p.totalAlloc);
          mins[8] = (mins[8] ?? 0) + (s.t - p.t);
          const r = ((s.totalAlloc - p.totalAlloc) / (s.t - p.t)) * 1000;
          mins[9] = (mins[9] ?? 0) + 1;
          mins[10] = (mins[10] ?? 0) + r;
          mins[11] = (mins[11] ?? 0) + r * r;
        }
        const goal = gogcGoal(s);
        const g = gogc ?? s.gogc;
        if (goal !== undefined && g !== undefined && g > 0) mins[0] = minOf(mins[0], goal / (1 + g / 100));
        else if (goal !== undefined && g === undefined) {
          mins[5] = minOf(mins[5], goal);
          if (s.heapAlloc !== undefined && s.heapAlloc > 0) mins[6] = Math.max(mins[6] ?? 0, goal / s.heapAlloc);
        }
        if (s.heapAlloc !== undefined) mins[1] = minOf(mins[1], cycleMin);
        mins[2] = minOf(mins[2], s.sys);
        mins[3] = minOf(mins[3], s.rss);
        mins[4] = minOf(mins[4], s.goroutines);
      }
      if (j - i >= MEMO_MIN_SAMPLES) bucketMemo.set(first, { width, gogc, inGC, inMin, before, count: j - i, last: samples[j - 1], outGC: prevGC, outMin: cycleMin, mins });
      i = j;
    }
    buckets.push(mins);
    times.push(((b + 0.5) * width - origin) / HOUR);
  }
  const ratio = estimateGoalRatio(buckets);
  for (let k = 0; k < buckets.length; k++) {
    const mins = buckets[k];
    const t = times[k];
    const goal = mins[0] ?? (ratio !== undefined && mins[5] !== undefined ? mins[5] / ratio : undefined);
    const cycle = mins[1];
    // Goal-derived floor where it is trustworthy; far below the HeapAlloc floor means a limit pins the goal.
    addPoint(out.heap, t, goal !== undefined && !(cycle !== undefined && cycle > 1.5 * goal) ? goal : cycle);
    addPoint(out.sys, t, mins[2]);
    addPoint(out.rss, t, mins[3]);
    addPoint(out.goroutines, t, mins[4]);
    if (mins[7] !== undefined && mins[8]) {
      addPoint(out.allocRate, t, (mins[7] / mins[8]) * 1000);
      const k = mins[9] ?? 0;
      const mean = (mins[10] ?? 0) / k;
      out.allocRate.variance.push(k >= 3 ? Math.max(0, (mins[11] ?? 0) / k - mean * mean) / (k - 1) : NaN);
    }
  }
  return out;
}
