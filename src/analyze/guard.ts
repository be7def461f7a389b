/**
 * The first lifetime's guard. A process with no earlier lifetime to compare with gets time to show
 * that growth since its warm-up levels off (a slower warm-up still) before any verdict; two shapes
 * an exponential or hyperbolic warm-up does not have end that wait early: a floor that started flat,
 * and growth that keeps its pace (a logarithmic fill, whose pace falls as 1/uptime, can keep it).
 * Pure; judge.ts decides when the guard applies.
 */
import type { ServiceConfig } from '../config/schema.js';
import { firstAtOrAfter, fitRange, MIN_POINTS, type Points } from './assess.js';

/** How long after its warm-up a process with no earlier lifetime in the history gets before any verdict. */
export function firstLifetimeGuard(service: ServiceConfig): number {
  return Math.max(3 * service.warmup, (3 * service.window) / 4);
}

/**
 * Did the lifetime's floor start flat? Its first `hours` after the warm-up (from `warmEnd`, in
 * hours of uptime) grow confidently slower than `bar`, the bar a span that long must clear to
 * grow. Returns when that stretch ends (hours), where a span under test may begin, and the bound
 * on its pace (a span must grow faster than that: a warm-up is steepest at birth); undefined when
 * it did not start flat or is too young to tell.
 */
export function settledStart(x: Points & { u: number[] }, bar: number, hours: number, warmEnd: number): { from: number; pace: number } | undefined {
  if (x.t.length === 0 || x.u[0] > warmEnd + hours / 2) return undefined;
  const end = x.t[0] + hours;
  const to = firstAtOrAfter(x.t, end);
  if (to < MIN_POINTS || to >= x.t.length) return undefined;
  const f = fitRange(x, 0, to);
  return f.upper < bar ? { from: end, pace: f.upper } : undefined;
}

const PACE_KEPT = 0.75;
const Z95 = 1.645;

/**
 * Does the floor grow at an unchanged pace: the Sen slopes of the latest two stretches of `hours`
 * both clear `bar` and the later is at least PACE_KEPT of the earlier? Returns where those
 * stretches begin (hours), undefined otherwise.
 */
export function steadyPace(x: Points, bar: number, hours: number): number | undefined {
  const n = x.t.length;
  if (n === 0) return undefined;
  const end = x.t[n - 1];
  const a = firstAtOrAfter(x.t, end - 2 * hours - 1e-9);
  const b = firstAtOrAfter(x.t, end - hours - 1e-9);
  if (x.t[a] > end - 2 * hours + hours / 4 || b - a < MIN_POINTS || n - b < MIN_POINTS) return undefined;
  const first = fitRange(x, a, b);
  const second = fitRange(x, b, n);
  // One-sided 95 % bounds: their distance from the slope is 1.645 standard errors.
  const se1 = (first.slope - first.lower) / Z95;
  const se2 = (second.slope - second.lower) / Z95;
  const margin = second.slope - PACE_KEPT * first.slope - Z95 * Math.hypot(se2, PACE_KEPT * se1);
  return first.slope > bar && second.slope > bar && margin >= 0 ? x.t[a] : undefined;
}
