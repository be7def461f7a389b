/**
 * Heap a worker pool carries. Pure.
 *
 * Why: every goroutine holds heap (its buffers, the request it serves, its closure), so a pool
 * that resizes moves the heap floor with its goroutine count: up when it grows, down when it
 * shrinks, at the same moments. A pool that grows and stays lifts the floor over a span as a leak
 * would, yet it is bounded: the heap comes back down with the pool. The goroutine count is judged
 * on its own (its steps taken out, assess.ts); the heap's growth it carries is not a heap leak.
 *
 * How many bytes one goroutine carries is learnt as traffic's share is (traffic.ts, trafficFit),
 * from co-movements within chunks of the window, each chunk detrended: a leak of either series is
 * a trend, removed before the regression, so it cannot teach the coefficient to explain itself.
 * The span then counts as carried when, with that share taken out, its conservative slope no
 * longer clears the bar and at least half its growth is gone: a real leak keeps its slope once
 * goroutines' noise is taken out, growth that is the pool's steps does not.
 */
import { firstAtOrAfter, fitRange } from './assess.js';
import type { Series } from './history.js';
import { trafficFit } from './traffic.js';

/** |t| the heap-per-goroutine coefficient needs before it explains anything away. */
const MIN_T = 5;
/** Share of the span's slope that must go with the goroutines' share. */
const MIN_SHARE = 0.5;

/** Does the goroutine count carry the growth of the heap floor `heap` from `spanStart` on, against `bar`? */
export function goroutinesCarry(heap: Series, goroutines: Series, spanStart: number, bar: number, chunkHours: number): boolean {
  const g = aligned(heap, goroutines);
  if (g.v.length < heap.v.length / 2) return false;
  const fit = trafficFit(g.heap, { t: g.t, v: g.v, variance: g.v.map(() => NaN) }, chunkHours);
  if (!fit || !(fit.coef > 0 && fit.coef >= MIN_T * fit.se)) return false;
  const rest = { t: g.t, v: g.heap.v.map((v, i) => v - fit.coef * g.v[i]) };
  const from = firstAtOrAfter(g.t, spanStart);
  if (g.t.length - from < 3) return false;
  const before = fitRange(g.heap, from, g.t.length);
  const after = fitRange(rest, from, g.t.length);
  return after.lower <= bar && after.slope <= MIN_SHARE * before.slope;
}

/** The heap's points that have a goroutine count in the same bucket, and those counts. */
function aligned(heap: Series, goroutines: Series): { t: number[]; v: number[]; heap: { t: number[]; v: number[] } } {
  const byBucket = new Map<number, number>();
  goroutines.b.forEach((b, i) => byBucket.set(b, goroutines.v[i]));
  const t: number[] = [];
  const v: number[] = [];
  const hv: number[] = [];
  heap.b.forEach((b, i) => {
    const c = byBucket.get(b);
    if (c === undefined) return;
    t.push(heap.t[i]);
    v.push(c);
    hv.push(heap.v[i]);
  });
  return { t, v, heap: { t, v: hv } };
}
