/**
 * Randomized building blocks of the corpus (corpus.ts): a service's runtime (heap size, GOGC,
 * allocation rate, noise, GOMAXPROCS), saturating warm-ups, traffic cycles, restart schedules,
 * batch jobs, worker pools and leak curves. Each draws its parameters from one Rng, so a trace
 * is a pure function of its class and seed.
 */
import { MARK_BYTES_PER_CPU_SECOND, MB, Rng, type Plan } from './simulate.js';

/** A plan with a random runtime and flat traffic; classes add their components to it. */
export function service(r: Rng, hours: number): Plan {
  const baseHeap = r.logRange(20, 1500) * MB, gogc = r.pick([50, 100, 100, 100, 200, 400]), procs = r.pick([1, 2, 4, 8, 16]);
  // From a service that only ever sees the 2-minute forced GC to one that collects every second,
  // but at most 10% of its CPUs in GC (GC CPU = allocation / (GOGC% × mark rate × GOMAXPROCS)):
  // services that allocate harder get a larger GOGC in practice.
  const allocRate = Math.min(r.logRange(0.05, 100) * MB, 0.1 * (gogc / 100) * MARK_BYTES_PER_CPU_SECOND * procs);
  return {
    hours, baseHeap, gogc, gogcKnown: r.chance(0.5), allocRate, dailyAmp: 0, inflight: r.range(0.01, 0.05), restarts: [],
    traffic: () => 1, procs, gcStats: true,
    noise: { heap: r.logRange(0.0005, 0.015), heapTauMinutes: r.range(5, 40), rss: r.logRange(0.001, 0.01), traffic: r.range(0.02, 0.15) },
    truth: { onsets: [], allowed: [] },
  };
}

/** Adds a live-heap component (bytes) to the plan. */
export function addHeap(p: Plan, f: (h: number, hl: number, life: number) => number): void {
  const prev = p.heapExtra;
  p.heapExtra = prev ? (h, hl, life) => prev(h, hl, life) + f(h, hl, life) : f;
}

/** Adds goroutines to the plan. */
export function addGoroutines(p: Plan, f: (h: number, hl: number, traffic: number, life: number) => number): void {
  const prev = p.goroutineExtra;
  p.goroutineExtra = prev ? (h, hl, tr, life) => prev(h, hl, tr, life) + f(h, hl, tr, life) : f;
}

/** Adds memory outside the Go heap (cgo, mmap) to RSS. */
export function addNonGo(p: Plan, f: (h: number, hl: number, life: number) => number): void {
  const prev = p.nonGo;
  p.nonGo = prev ? (h, hl, life) => prev(h, hl, life) + f(h, hl, life) : f;
}

export type WarmupShape = 'exp' | 'hyperbolic' | 'log-capped';

/**
 * A saturating warm-up or cache fill: `amp` × base heap, reached along a decelerating curve that
 * is about 90% done after 3 `tauHours`: an exponential approach, a hyperbola x/(x+k), or a
 * log-like fill that stops at its capacity (an LRU cache reaching its size limit).
 */
export interface Warmup {
  shape: WarmupShape;
  tauHours: number;
  amp: number;
}

export function warmup(r: Rng, shapes: readonly WarmupShape[] = ['exp', 'hyperbolic', 'log-capped']): Warmup {
  return { shape: r.pick(shapes), tauHours: r.logRange(5 / 60, 3), amp: r.range(0.1, 1) };
}

/** Fraction (0..1) of the warm-up's amplitude reached after `x` hours of uptime. */
export function warmupFill(w: Warmup, x: number): number {
  if (x <= 0) return 0;
  const k = w.tauHours / 3;
  switch (w.shape) {
    case 'exp':
      return 1 - Math.exp(-x / w.tauHours);
    case 'hyperbolic':
      return x / (x + k);
    case 'log-capped':
      return Math.min(1, Math.log1p(x / k) / Math.log1p(9));
  }
}

/** The warm-up, redrawn a little for every lifetime (each start fills its caches anew). */
export function addWarmup(r: Rng, p: Plan, w: Warmup, lifetimes: number): void {
  const lives = Array.from({ length: lifetimes }, () => ({ ...w, tauHours: w.tauHours * r.range(0.7, 1.3), amp: w.amp * r.range(0.8, 1.2) }));
  addHeap(p, (_h, hl, life) => lives[Math.min(life, lives.length - 1)].amp * p.baseHeap * warmupFill(lives[Math.min(life, lives.length - 1)], hl));
}

/**
 * A periodic traffic cycle (period 1–24 h) with a second harmonic for a skewed day, and its
 * integral (requests served, in traffic-hours) for leaks that grow per request.
 */
export interface Cycle {
  periodHours: number;
  amp: number;
  value: (h: number) => number;
  integral: (h: number) => number;
}

export function cycle(r: Rng, amp: number): Cycle {
  const periodHours = r.logRange(1, 24), phase = r.range(0, periodHours), b = r.range(0, 0.4), psi = r.range(0, 2 * Math.PI);
  const w = (2 * Math.PI) / periodHours;
  const value = (h: number): number => 1 + amp * (Math.sin(w * (h + phase)) + b * Math.sin(2 * w * (h + phase) + psi)) / (1 + b);
  const prim = (h: number): number => h - (amp / (1 + b)) * (Math.cos(w * (h + phase)) / w + (b * Math.cos(2 * w * (h + phase) + psi)) / (2 * w));
  return { periodHours, amp, value, integral: (h) => prim(h) - prim(0) };
}

/**
 * Puts a traffic cycle on the plan whose in-flight data moves the live heap by ±`heapAmp` (5–30%)
 * of its mean: traffic swings by ±A, and the in-flight share of the heap is sized to match.
 */
export function addCycle(r: Rng, p: Plan, heapAmp = r.range(0.05, 0.3)): Cycle {
  const amp = r.range(Math.max(0.3, heapAmp + 0.15), 0.85);
  const c = cycle(r, amp);
  p.inflight = heapAmp / (amp - heapAmp);
  p.traffic = c.value;
  return c;
}

/** Restart times (hours) with each lifetime drawn log-uniform in [minH, maxH]. */
export function restartTimes(r: Rng, hours: number, minH: number, maxH: number): number[] {
  const out: number[] = [];
  for (let h = r.logRange(minH, maxH); h < hours; h += r.logRange(minH, maxH)) out.push(h);
  return out;
}

/** Batch jobs: every 0.5–6 h for 5–40 min, loading data (a block or a ramp) and freeing it after. */
export function addBatches(r: Rng, p: Plan): void {
  const every = r.logRange(0.5, 6), len = r.range(5, 40) / 60, size = r.range(0.2, 1.5), off = r.range(0, every);
  const ramp = r.chance(0.5), workers = r.int(20, 500), boost = r.range(2, 10);
  const into = (h: number): number => (h + off) % every;
  addHeap(p, (h) => (into(h) < len ? size * p.baseHeap * (ramp ? into(h) / len : 1) : 0));
  addGoroutines(p, (h) => (into(h) < len ? workers : 0));
  const prev = p.allocBoost;
  p.allocBoost = (h) => (prev?.(h) ?? 1) * (into(h) < len ? boost : 1);
}

/**
 * A worker pool that resizes in jumps between a floor and a ceiling every 10 min–3 h; each
 * worker holds a buffer, so the heap jumps with it.
 */
export function addWorkerPool(r: Rng, p: Plan): void {
  const max = r.int(50, 1000), perWorker = Math.min(r.logRange(8e3, 1e6), (0.5 * p.baseHeap) / max);
  const changes: { at: number; size: number }[] = [];
  for (let h = 0; h < p.hours; h += r.logRange(1 / 6, 3)) changes.push({ at: h, size: r.int(Math.round(max / 10), max) });
  const size = (h: number): number => {
    let lo = 0, hi = changes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (changes[mid].at <= h) lo = mid;
      else hi = mid - 1;
    }
    return changes[lo].size;
  };
  addGoroutines(p, (h) => size(h));
  addHeap(p, (h) => size(h) * perWorker);
}

export type LeakMode = 'linear' | 'per-request' | 'staircase';

/**
 * Leak progress in hours at the mean rate between `from` and `h`: linear, per request (follows
 * the traffic cycle, so it leaks faster at peak), or in steps every 10–60 min (a leak per batch).
 */
export function leakProgress(r: Rng, c: Cycle | undefined): { mode: LeakMode; hoursLeaked: (from: number, h: number) => number } {
  const mode = r.pick<LeakMode>(['linear', 'per-request', 'staircase']);
  const step = r.range(1 / 6, 1);
  return {
    mode,
    hoursLeaked: (from, h) => {
      if (h <= from) return 0;
      if (mode === 'per-request' && c) return c.integral(h) - c.integral(from);
      if (mode === 'staircase') return step * Math.floor((h - from) / step);
      return h - from;
    },
  };
}

/** The live heap a lifetime settles at without a leak (bytes): base, in-flight data, warm caches. */
export function settledHeap(p: Plan, w?: Warmup): number {
  return p.baseHeap * (1 + p.inflight + (w?.amp ?? 0));
}
