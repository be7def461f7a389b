/**
 * Floor series straight from a list of samples, for readers that have samples rather than a
 * running detector (the dashboard's charts, tests). The same bucket folding the detector uses
 * (buckets.ts), so the line on the page is the line that was trended. Pure.
 */
import type { Metric } from '../model/incident.js';
import type { Sample } from '../model/sample.js';
import { Bucket, BucketFolder } from './buckets.js';
import { estimateGoalRatio, goalColumnsOf, goalPinned, heapFloor } from './goal.js';

/** Bucketed floor series of one metric. `t` in hours since `origin`, `v` in the metric's unit. */
export interface FloorSeries {
  t: number[];
  v: number[];
}

/** Mean allocation rate per bucket (bytes/s), with the variance of that mean (NaN with fewer than 3 intervals). */
export interface RateSeries extends FloorSeries {
  variance: number[];
}

export type FloorSet = Record<Metric, FloorSeries> & { allocRate: RateSeries };

const HOUR = 3_600_000;
const POINTS_PER_WINDOW = 72;

/** Chart bucket width for a window: window/72 (5 min for 6 h), clamped to [1 s, 30 min]. */
export function bucketWidth(window: number): number {
  return Math.min(30 * 60_000, Math.max(1000, Math.round(window / POINTS_PER_WINDOW)));
}

/**
 * Floors of samples[from..] (one lifetime) in completed buckets with fromT <= bucket start and
 * bucket end <= now; `t` in hours since the start of fromT's bucket.
 */
export function floorSeries(samples: readonly Sample[], from: number, fromT: number, now: number, width: number, gogc: number | undefined): FloorSet {
  const buckets: Bucket[] = [];
  const folder = new BucketFolder(width, gogc, (b) => buckets.push(b));
  for (let i = from; i < samples.length && samples[i].t < now; i++) folder.push(samples[i]);
  folder.closeBefore(now);
  const startBucket = Math.floor(fromT / width);
  const kept = buckets.filter((b) => b.b >= startBucket && (b.b + 1) * width <= now);
  const origin = startBucket * width;
  const goal = goalColumnsOf(kept);
  const ratio = estimateGoalRatio(goal);
  const pinned = goalPinned(goal, ratio);
  const out: FloorSet = {
    heap: { t: [], v: [] }, sys: { t: [], v: [] }, rss: { t: [], v: [] }, goroutines: { t: [], v: [] },
    allocRate: { t: [], v: [], variance: [] },
  };
  const add = (s: FloorSeries, t: number, v: number): void => {
    if (Number.isNaN(v)) return;
    s.t.push(t);
    s.v.push(v);
  };
  for (const b of kept) {
    const t = (b.t - origin) / HOUR;
    add(out.heap, t, heapFloor(b, ratio, pinned));
    add(out.sys, t, b.sys);
    add(out.rss, t, b.rss);
    add(out.goroutines, t, b.goroutines);
    if (!Number.isNaN(b.allocRate)) {
      add(out.allocRate, t, b.allocRate);
      out.allocRate.variance.push(b.rateVariance);
    }
  }
  return out;
}
