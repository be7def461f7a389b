/**
 * Evidence from beyond the tested span, read off the service's history: the same hour yesterday,
 * the highest level of the past day, how earlier lifetimes behaved at the same uptime, the
 * allocation rate (traffic) and the GC's effort under a memory limit. Pure.
 */
import type { Metric } from '../model/incident.js';
import { firstAtOrAfter, medianOf, MIN_POINTS, type Points } from './assess.js';
import { DAY, History, type Series } from './history.js';
import type { BucketView } from './bucket-ring.js';
import type { RateSeries } from './series.js';
import { beyondCurve, notClearlyAbove, saturationFit, WARMUP_SHAPES } from './saturation.js';
import { fitTrend } from './trend.js';

const HOUR = 3_600_000;
/** Points an earlier lifetime needs past the uptime in question to vote on it. */
const MIN_AFTER = 4;
/** And how long past it, in ms: window/24 (15 min for a 6 h window). */
const pastUptime = (h: History): number => h.opts.window / 24;

/**
 * x(t) − x(t − 1 day), same lifetime, where the day-ago bucket exists: a daily cycle cancels, a
 * leak does not. Undefined when less than 80 % of the points have a reference.
 */
export function dayOverDay(h: History, metric: Metric, x: Series, life: number): Points | undefined {
  const shift = Math.round(DAY / h.width);
  const ratio = metric === 'heap' ? h.goalRatio(life) : undefined;
  const out: Points = { t: [], v: [] };
  const refs = h.bucketsOf(x.b, shift);
  for (let i = 0; i < x.t.length; i++) {
    const ref = refs[i];
    if (!ref || ref.life !== life) continue;
    const v = h.value(ref, metric, ratio);
    if (Number.isNaN(v)) continue;
    out.t.push(x.t[i]);
    out.v.push(x.v[i] - v);
  }
  return out.t.length >= 0.8 * x.t.length ? out : undefined;
}

/**
 * Is the latest level new? It must clear every earlier point of `day` (before `spanStart`, in
 * hours) by twice the noise: a cycle coming back to where it was is not growth.
 */
export function newHigh(day: Points, latest: Points, spanStart: number, noise: number): boolean {
  let max = -Infinity;
  for (let i = 0; i < day.t.length && day.t[i] < spanStart; i++) max = Math.max(max, day.v[i]);
  if (max === -Infinity) return true;
  const n = latest.v.length;
  const level = medianOf(latest.v.slice(Math.max(0, n - 3)));
  return level > max + 2 * noise;
}

/**
 * Earlier lifetimes that were at this uptime and went on for a while: if the ones that grew here
 * too levelled off, and the current level is not above where they levelled off, or the current
 * lifetime follows their curve (larger or slower this time) with nothing growing beyond it, this
 * is the service's usual warm-up, not a leak. A lifetime that ended still growing votes for a leak
 * unless its own floor was a warm-up curve cut short by the restart, or it ended below where one
 * that settled levelled off. An earlier lifetime must have run window/24 past this uptime to vote;
 * if none did, the current lifetime is judged as a first. `settledSeen`: one that voted levelled
 * off (its tail did not grow), so it, not a curve fitted to the current lifetime, is the reference.
 */
export function usualWarmup(h: History, metric: Metric, life: number, x: Series, spanStart: number, bar: number, threshold: number, noise: number, minUptime: number): { usual: boolean; settledSeen: boolean } {
  const n = x.t.length;
  const uptimeH = x.u[n - 1];
  const level = x.v[n - 1];
  const follow = h.opts.window / HOUR / 6;
  const ratio = metric === 'heap' ? h.goalRatio(life) : undefined;
  const lives = new Map<number, { u: number[]; v: number[] }>();
  for (const b of h.fine) {
    if (b.life >= life || b.t - b.lifeStart < minUptime) continue;
    const v = h.value(b, metric, ratio);
    if (Number.isNaN(v)) continue;
    let l = lives.get(b.life);
    if (!l) lives.set(b.life, (l = { u: [], v: [] }));
    l.u.push((b.t - b.lifeStart) / HOUR);
    l.v.push(v);
  }
  // Each earlier lifetime votes: one odd lifetime (a noisy tail at shutdown) does not veto the rest.
  // It need not have been watched at this very uptime (a daemon started late sees a lifetime from
  // its middle on); it must have been watched past it, for a while.
  const voters: { l: { u: number[]; v: number[] }; grew: boolean; plateau: number }[] = [];
  for (const l of lives.values()) {
    const end = l.u[l.u.length - 1];
    if (end < uptimeH + pastUptime(h) / HOUR) continue;
    if (l.u.filter((u) => u > uptimeH).length < MIN_AFTER) continue;
    // Its last `follow` hours: still growing at the threshold's pace to a new high means it never levelled off.
    const tailFrom = l.u.findIndex((u) => u >= end - follow);
    const tail = fitTrend(l.u.slice(tailFrom), l.v.slice(tailFrom));
    // A tail that rose only back to where the lifetime had been (a traffic cycle within it) is no growth.
    const points = { t: l.u, v: l.v };
    const tailGrows = tail.n >= 4 && tail.slope >= threshold && newHigh(points, points, l.u[tailFrom], noise);
    voters.push({ l, grew: tailGrows, plateau: Math.max(...l.v.filter((_, i) => l.u[i] > uptimeH)) });
  }
  // A lifetime that ended still growing, but below where one that settled levelled off, was cut
  // short on the way there: it says nothing of a leak.
  const settledTop = Math.max(...voters.filter((o) => !o.grew).map((o) => o.plateau));
  let levelled = 0;
  let growing = 0;
  for (const { l, grew, plateau } of voters) {
    if (grew && !cutShortWarming(l, threshold)) {
      if (plateau > settledTop + Math.max(3 * noise, 0.02 * settledTop)) growing++;
      continue;
    }
    if (level <= plateau + Math.max(3 * noise, 0.02 * plateau)) levelled++;
    else if (followsCurve(x, spanStart, l, bar)) levelled++;
  }
  return { usual: levelled > 0 && levelled >= growing, settledSeen: settledTop > -Infinity };
}

/**
 * The current lifetime's floor follows an earlier lifetime's curve, larger or smaller, faster or
 * slower (each start fills its caches anew), and nothing grows beyond it clearly above `bar`.
 */
function followsCurve(x: Series, spanStart: number, earlier: { u: number[]; v: number[] }, bar: number): boolean {
  const i = x.t.findIndex((t) => t >= spanStart);
  const fit = beyondCurve(x.u, x.v, x.u[i < 0 ? x.u.length - 1 : i], earlier.u, earlier.v);
  return fit !== undefined && notClearlyAbove(fit, bar);
}

/**
 * A lifetime that ended still growing may have been cut short in its warm-up: its own floor is
 * a decelerating curve, bent within the lifetime (a time constant of at most half of it: a longer
 * one is a nearly straight line that trades off with the linear term), with nothing clearly at
 * the threshold's pace beyond it (saturation.ts).
 */
function cutShortWarming(l: { u: number[]; v: number[] }, threshold: number): boolean {
  const fit = saturationFit(l.u, l.v, l.u[0], WARMUP_SHAPES);
  return fit !== undefined && fit.decelerating && fit.tau <= (l.u[l.u.length - 1] - l.u[0]) / 2 && notClearlyAbove(fit, threshold);
}

/** Did an earlier lifetime in the history run past uptime `uptimeMs` (by window/24)? Then it can tell a warm-up from a leak. */
export function earlierLifetimeReached(h: History, life: number, uptimeMs: number): boolean {
  const past = uptimeMs + pastUptime(h);
  for (const b of h.fine) if (b.life < life && b.t - b.lifeStart >= past) return true;
  return false;
}

/** The goroutine count in the bucket of each point of `x` (NaN where none was seen), as allocRates reads rates. */
export function goroutinesAt(h: History, x: Series): number[] {
  return h.bucketsOf(x.b).map((b) => (b ? b.goroutines : NaN));
}

/** Mean allocation rate (bytes/s) per bucket of `x`, with the variance of that mean. */
export function allocRates(h: History, x: Series): RateSeries {
  const out: RateSeries = { t: [], v: [], variance: [] };
  const buckets = h.bucketsOf(x.b);
  for (let i = 0; i < x.t.length; i++) {
    const b = buckets[i];
    if (!b) continue;
    const r = b.allocRate;
    if (Number.isNaN(r)) continue;
    out.t.push(x.t[i]);
    out.v.push(r);
    out.variance.push(b.rateVariance);
  }
  return out;
}

export interface GcPressure {
  /** GCs per minute, early in the span and lately. */
  early: number;
  late: number;
  limit: number;
  confidence: number;
}

/**
 * A heap pressing against GOMEMLIMIT: the GC runs more and more often to stay under it, while
 * HeapAlloc and Sys stay flat. Reported when the GC rate rises significantly (≥ 2×, 99 %) with
 * the heap floor within reach of the limit.
 */
export function gcPressure(h: History, x: Series, level: number): GcPressure | undefined {
  const buckets = h.bucketsOf(x.b);
  // The limit first: without one (most services) there is no GC rate to read.
  let limit = NaN;
  for (const b of buckets) if (b && !Number.isNaN(b.gcs) && !Number.isNaN(b.memlimit)) limit = b.memlimit;
  if (Number.isNaN(limit) || level < 0.5 * limit) return undefined;
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < x.t.length; i++) {
    const b = buckets[i];
    if (!b || Number.isNaN(b.gcs)) continue;
    t.push(x.t[i]);
    v.push(b.gcs / (h.width / 60_000));
  }
  if (t.length < 8) return undefined;
  const k = Math.floor(t.length / 3);
  const early = medianOf(v.slice(0, k));
  const late = medianOf(v.slice(-k));
  if (!(late >= 2 * Math.max(early, 0.5))) return undefined;
  const f = fitTrend(t, v);
  if (f.confidence < 0.99) return undefined;
  return { early, late, limit, confidence: f.confidence };
}

/**
 * How much of the heap's address space (HeapSys) came in between the first and the last point of
 * the series `x` (the buckets it was read from); undefined when HeapSys is not scraped. Sys
 * includes HeapSys and never gives it back: a traffic peak above the earlier ones raises both for
 * good, and that high-water mark is no leak of the runtime's own memory.
 */
export function heapSysRise(h: History, x: Series): number | undefined {
  const buckets = h.bucketsOf(x.b);
  const known = (b: BucketView | undefined): b is BucketView => b !== undefined && !Number.isNaN(b.heapSys);
  const first = buckets.find(known);
  return first === undefined ? undefined : buckets.findLast(known)!.heapSys - first.heapSys;
}

/** Least rise of the allocation rate over a span, relative to its level, that counts as traffic rising. */
const TRAFFIC_RISE = 0.1;

/**
 * How fast traffic rose from `start` on, per hour as a share of its level: the allocation rate
 * rose significantly (its Sen lower bound above 0) and by TRAFFIC_RISE of its level or more; 0
 * when it did not.
 */
export function trafficRise(rates: RateSeries, start = -Infinity): number {
  const from = firstAtOrAfter(rates.t, start);
  const t = rates.t.slice(from);
  const v = rates.v.slice(from);
  if (t.length < 8) return 0;
  const rate = fitTrend(t, v);
  const level = medianOf(v);
  return rate.lower > 0 && rate.slope * (t[t.length - 1] - t[0]) >= TRAFFIC_RISE * level ? rate.slope / level : 0;
}

/**
 * Could traffic alone have raised the floor `x` over the span from index `from`? Only if traffic
 * (the allocation rate, `rates`, the window's) rose, and the floor by no larger a share of its
 * level per hour. In-flight data scales with traffic at most proportionally, so a floor rising
 * faster than traffic is something else; one rising slower may be the traffic's, which only the
 * same hours of another day can tell (judge.ts asks this before a day of history). Traffic is read
 * over the span (at least `minHours` of it: over an hour its rise is lost in its noise while the
 * floor's is not) and over the whole window (`windowRise`: trafficRise of `rates`, read once per
 * judgement), the faster of the two: a cycle longer than the window rises within a span while the
 * window's trend stays flat. Not the traffic explainer's question
 * (traffic.ts): that one learns from fast co-movements how much traffic moves the floor, which a
 * slow cycle does not show.
 */
export function trafficCouldExplain(x: Points, from: number, rates: RateSeries, minHours: number, windowRise: () => number): boolean {
  const start = Math.min(x.t[from], x.t[x.t.length - 1] - minHours - 1e-9);
  // A span reaching back to the rates' start is the window: its rise is the window's.
  const spanRise = rates.t.length > 0 && start > rates.t[0] ? trafficRise(rates, start) : 0;
  const rise = Math.max(spanRise, windowRise());
  if (rise === 0) return false;
  const floor = fitTrend(x.t.slice(from), x.v.slice(from));
  return floor.slope / medianOf(x.v.slice(from)) <= rise;
}

/**
 * RSS and Sys follow the heap: does the heap floor (`heap`) carry the growth of `x` over the span
 * from `spanStart` on? It grows there too, as a share of its level at least half as fast (the
 * comparison explainByHeap makes over the window, detector.ts), and in bytes by at least a quarter
 * as much (the GC goal makes the heap's footprint a few times its floor; a heap of a few MiB
 * growing by a share carries no tens of MiB of RSS).
 */
export function heapCarries(heap: Points, x: Points, spanStart: number): boolean {
  const i = firstAtOrAfter(heap.t, spanStart);
  const j = firstAtOrAfter(x.t, spanStart);
  if (heap.t.length - i < MIN_POINTS || x.t.length - j < MIN_POINTS) return false;
  const h = fitTrend(heap.t.slice(i), heap.v.slice(i)).slope;
  const m = fitTrend(x.t.slice(j), x.v.slice(j)).slope;
  return h > 0 && 4 * h >= m && h / medianOf(heap.v.slice(i)) >= (0.5 * m) / medianOf(x.v.slice(j));
}
