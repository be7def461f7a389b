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
 * The count has no measurement noise to correct for (its variance is left unknown: trafficFit
 * then keeps the plain, conservative slope). The span then counts as carried when, with that
 * share taken out, its conservative slope no longer clears the bar and at least half its growth
 * is gone: a real leak keeps its slope once the goroutines' share is taken out, growth that is the
 * pool's steps does not.
 */
import { firstAtOrAfter, fitRange, type Points } from './assess.js';
import { trafficFit, type TrafficFit } from './traffic.js';

/** |t| the heap-per-goroutine coefficient needs before it explains anything away. */
const MIN_T = 5;
/** Share of the span's slope that must go with the goroutines' share. */
const MIN_SHARE = 0.5;

/** The heap floor's points that have a goroutine count, those counts, and the bytes one goroutine carries. */
export interface PoolShare {
  heap: Points;
  goroutines: number[];
  fit: TrafficFit | undefined;
}

/**
 * The goroutines' share of the heap floor `heap`, from the count in the bucket of each of its
 * points (NaN where none was seen). The coefficient is the window's, the same for every span
 * judged on the same floor: the caller reads it once per floor.
 */
export function poolShare(heap: Points, goroutines: readonly number[], chunkHours: number): PoolShare {
  const keep = heap.t.flatMap((_, i) => (Number.isNaN(goroutines[i]) ? [] : [i]));
  const h = { t: keep.map((i) => heap.t[i]), v: keep.map((i) => heap.v[i]) };
  const g = keep.map((i) => goroutines[i]);
  if (keep.length < heap.t.length / 2) return { heap: h, goroutines: g, fit: undefined };
  const fit = trafficFit(h, { t: h.t, v: g, variance: g.map(() => NaN) }, chunkHours);
  return { heap: h, goroutines: g, fit: fit && fit.coef > 0 && fit.coef >= MIN_T * fit.se ? fit : undefined };
}

/** Does the goroutine count carry the growth of the heap floor from `spanStart` on, against `bar`? */
export function goroutinesCarry(share: PoolShare, spanStart: number, bar: number): boolean {
  const { fit, heap: h, goroutines: g } = share;
  if (!fit) return false;
  const from = firstAtOrAfter(h.t, spanStart);
  if (h.t.length - from < 3) return false;
  const rest = { t: h.t, v: h.v.map((v, i) => v - fit.coef * g[i]) };
  const before = fitRange(h, from, h.t.length);
  const after = fitRange(rest, from, h.t.length);
  return after.lower <= bar && after.slope <= MIN_SHARE * before.slope;
}
