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

/** Bucketed floor series of one metric. `t` in hours since `origin`, `v` in the metric's unit. */
export interface FloorSeries {
  t: number[];
  v: number[];
}

export type FloorSet = Record<Metric, FloorSeries>;

/** A process restart between two consecutive samples (design §4: never fit across one). */
export function isRestart(prev: Sample, cur: Sample): boolean {
  if (cur.restart) return true;
  if (prev.processStart !== undefined && cur.processStart !== undefined && Math.abs(cur.processStart - prev.processStart) > 1000) return true;
  if (prev.pid !== undefined && cur.pid !== undefined && prev.pid !== cur.pid) return true;
  if (prev.numGC !== undefined && cur.numGC !== undefined && cur.numGC < prev.numGC) return true;
  if (prev.totalAlloc !== undefined && cur.totalAlloc !== undefined && cur.totalAlloc < prev.totalAlloc) return true;
  return false;
}

/** Index of the first sample of the last process lifetime in `samples`. */
export function lifetimeStartIndex(samples: readonly Sample[]): number {
  for (let i = samples.length - 1; i > 0; i--) {
    if (isRestart(samples[i - 1], samples[i])) return i;
  }
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

/** Bucket width for a window: window/72, clamped to [1 min, 30 min]. */
export function bucketWidth(window: number): number {
  return Math.min(30 * 60_000, Math.max(60_000, Math.round(window / POINTS_PER_WINDOW)));
}

/** GOMEMLIMIT values at or above this mean "no limit" (math.MaxInt64 as a float). */
const NO_LIMIT = 2 ** 62;

function heapGoalFloor(s: Sample, gogc: number | undefined): number | undefined {
  const g = gogc ?? s.gogc;
  if (g === undefined || g <= 0 || s.nextGC === undefined || s.nextGC <= 0) return undefined;
  // Under GOMEMLIMIT the goal is the limit, not live×(1+GOGC/100): the quotient says nothing.
  if (s.gomemlimit !== undefined && s.gomemlimit > 0 && s.gomemlimit < NO_LIMIT && s.nextGC >= 0.8 * s.gomemlimit) return undefined;
  return s.nextGC / (1 + g / 100);
}

interface Acc {
  series: FloorSeries;
  bucket: number;
  min: number;
}

function push(acc: Acc, bucket: number, value: number | undefined, width: number, origin: number): void {
  if (value === undefined || !Number.isFinite(value)) return;
  if (bucket !== acc.bucket) {
    if (acc.bucket !== -1) flush(acc, width, origin);
    acc.bucket = bucket;
    acc.min = value;
  } else if (value < acc.min) {
    acc.min = value;
  }
}

function flush(acc: Acc, width: number, origin: number): void {
  acc.series.t.push(((acc.bucket + 0.5) * width - origin) / HOUR);
  acc.series.v.push(acc.min);
}

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
  const make = (): Acc => ({ series: { t: [], v: [] }, bucket: -1, min: 0 });
  const goal = make();
  const cycle = make();
  const sys = make();
  const rss = make();
  const gor = make();
  let cycleMin = Infinity;
  let prevGC: number | undefined;
  for (let i = from; i < samples.length; i++) {
    const s = samples[i];
    if (s.heapAlloc !== undefined) {
      cycleMin = s.numGC !== undefined && s.numGC === prevGC ? Math.min(cycleMin, s.heapAlloc) : s.heapAlloc;
      prevGC = s.numGC;
    }
    if (s.t < fromT) continue;
    const b = Math.floor(s.t / width);
    if (b >= nowBucket) break;
    push(goal, b, heapGoalFloor(s, gogc), width, origin);
    push(cycle, b, s.heapAlloc === undefined ? undefined : cycleMin, width, origin);
    push(sys, b, s.sys, width, origin);
    push(rss, b, s.rss, width, origin);
    push(gor, b, s.goroutines, width, origin);
  }
  for (const acc of [goal, cycle, sys, rss, gor]) if (acc.bucket !== -1) flush(acc, width, origin);
  return { heap: mergeHeap(goal.series, cycle.series), sys: sys.series, rss: rss.series, goroutines: gor.series };
}

/** Goal-derived floor where it is trustworthy, HeapAlloc cycle floor elsewhere. */
function mergeHeap(goal: FloorSeries, cycle: FloorSeries): FloorSeries {
  if (goal.t.length === 0) return cycle;
  const byT = new Map<number, number>();
  cycle.t.forEach((t, i) => byT.set(t, cycle.v[i]));
  const out: FloorSeries = { t: [], v: [] };
  const goalT = new Set(goal.t);
  for (let i = 0; i < goal.t.length; i++) {
    const h = byT.get(goal.t[i]);
    out.t.push(goal.t[i]);
    out.v.push(h !== undefined && h > 1.5 * goal.v[i] ? h : goal.v[i]);
  }
  for (let i = 0; i < cycle.t.length; i++) {
    if (!goalT.has(cycle.t[i])) {
      out.t.push(cycle.t[i]);
      out.v.push(cycle.v[i]);
    }
  }
  if (out.t.length !== goal.t.length) {
    const order = out.t.map((_, i) => i).sort((a, b) => out.t[a] - out.t[b]);
    return { t: order.map((i) => out.t[i]), v: order.map((i) => out.v[i]) };
  }
  return out;
}
