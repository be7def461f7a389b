/**
 * Synthetic but mechanistic 15 s traces of a Go service, with ground truth, for `bench:detect`
 * and the detector's unit tests. Each step simulates the runtime, not a curve: the live heap
 * (base + in-flight data that follows traffic + the shape's components + slow wander), GC cycles
 * triggered by allocation against the GOGC or GOMEMLIMIT goal (and the 2-minute forced GC),
 * HeapAlloc sampled at a random phase of the sawtooth, retained and released spans, stacks,
 * runtime metadata, RSS with noise, goroutines that follow traffic with Poisson-like jitter, and
 * process restarts that reset every cumulative counter.
 */
import type { ServiceConfig } from '../config/schema.js';
import type { Metric } from '../model/incident.js';
import type { Sample } from '../model/sample.js';

const MB = 1e6;
const HOUR = 3_600_000;
const STEP = 15_000;

/** Deterministic PRNG (mulberry32) with normal draws. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  range(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }
}

/** An AR(1) wander with stationary sd `sd` and correlation time `tauMs`. */
class Wander {
  x = 0;
  constructor(private readonly rng: Rng, private readonly sd: number, private readonly tauMs: number) {}
  step(): number {
    const a = Math.exp(-STEP / this.tauMs);
    this.x = a * this.x + this.sd * Math.sqrt(1 - a * a) * this.rng.normal();
    return this.x;
  }
}

/** What a shape adds, as functions of hours since trace start (h) and since process start (hl). */
export interface Plan {
  hours: number;
  baseHeap: number;
  gogc: number;
  gogcKnown: boolean;
  memlimit?: number;
  memlimitKnown?: boolean;
  /** Allocation rate at traffic 1, bytes/s. */
  allocRate: number;
  /** Daily traffic amplitude (0..0.8) and in-flight live heap at traffic 1 as a fraction of base. */
  dailyAmp: number;
  inflight: number;
  /** Restart times, hours since trace start. */
  restarts: number[];
  heapExtra?: (h: number, hl: number) => number;
  goroutineExtra?: (h: number, hl: number, traffic: number) => number;
  nonGo?: (h: number, hl: number) => number;
  truth: Truth;
}

export interface Truth {
  /** The metric whose incident counts as catching the leak; undefined for negative shapes. */
  metric?: Metric;
  /** Leak onsets (hours since trace start); several when the leak restarts with the process. */
  onsets: number[];
  /** Metrics an incident may name without being a false alert. */
  allowed: Metric[];
}

export interface Scenario {
  shape: string;
  seed: number;
  positive: boolean;
  samples: Sample[];
  service: ServiceConfig;
  truth: { metric?: Metric; onsets: number[]; allowed: Metric[] };
  /** Simulated process-days (for false alerts per day). */
  days: number;
  /** Base live heap, for peers that need an absolute threshold. */
  baseHeap: number;
}

export const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/** The service configuration the bench and tests use: design defaults with relative thresholds. */
export function benchService(name = 'bench'): ServiceConfig {
  return {
    name, pprof: undefined, expvar: undefined, metrics: undefined, pid: undefined, pidFile: undefined, systemdUnit: undefined,
    gogc: undefined, headers: {}, schedule: '*/15 * * * * *', profileSchedule: '0 */5 * * * *', timeout: 5000,
    maxBodySize: 64 * MB, window: 6 * HOUR, warmup: 15 * 60_000,
    thresholds: {
      heapGrowth: { value: 0.5, unit: 'percent' },
      sysGrowth: { value: 1, unit: 'percent' },
      rssGrowth: { value: 1, unit: 'percent' },
      goroutineGrowth: { value: 60, unit: 'count' },
    },
    limits: {}, cooldown: HOUR, lastGasp: 30 * 60_000, alert: [],
  };
}

/** Runs the runtime model over a plan. */
export function simulate(plan: Plan, rng: Rng, start = T0): Sample[] {
  const out: Sample[] = [];
  const phase = rng.range(0, 24);
  const trafficNoise = new Wander(rng, 0.08, 10 * 60_000);
  // Services differ in how much their live heap wanders: 0.05–0.3% of it, over 10–30 minutes.
  const heapWander = new Wander(rng, rng.range(0.0005, 0.003), rng.range(10, 30) * 60_000);
  const rssWander = new Wander(rng, 0.004, 5 * 60_000);
  const steps = Math.round((plan.hours * HOUR) / STEP);
  const restarts = [...plan.restarts].sort((a, b) => a - b);
  let lifeStart = start;
  let pid = 1000 + Math.floor(rng.range(0, 5000));
  let numGC = 0, totalAlloc = 0, sinceGC = 0, allocPhase = 0, heapSysMax = 0, sysMax = 0;
  let nextRestart = 0;
  for (let i = 0; i <= steps; i++) {
    const t = start + i * STEP;
    const h = (t - start) / HOUR;
    if (nextRestart < restarts.length && h >= restarts[nextRestart]) {
      nextRestart++;
      lifeStart = t - Math.floor(rng.range(1000, 5000));
      pid += 1 + Math.floor(rng.range(0, 50));
      numGC = 0; totalAlloc = 0; sinceGC = 0; allocPhase = 0; heapSysMax = 0; sysMax = 0;
    }
    const hl = (t - lifeStart) / HOUR;
    const traffic = Math.max(0.05, 1 + plan.dailyAmp * Math.sin((2 * Math.PI * (h + phase)) / 24) + trafficNoise.step());
    // Start-up: the heap builds within the first minute of a lifetime.
    const startup = Math.min(1, 0.2 + hl * 60);
    const live = Math.max(
      MB,
      (plan.baseHeap * (1 + plan.inflight * traffic + heapWander.step()) + (plan.heapExtra?.(h, hl) ?? 0)) * startup,
    );
    const gor = Math.max(4, Math.round(20 + 60 * traffic + Math.sqrt(60 * traffic) * rng.normal() + (plan.goroutineExtra?.(h, hl, traffic) ?? 0)));
    const stacks = gor * 8192;
    const gogcGoal = live * (1 + plan.gogc / 100) + (stacks * plan.gogc) / 100;
    const runtimeOverhead = 0.06 * heapSysMax + stacks + 4 * MB;
    const goal = plan.memlimit ? Math.max(live * 1.02, Math.min(gogcGoal, plan.memlimit - runtimeOverhead)) : gogcGoal;
    const cycle = goal - live;
    const allocated = plan.allocRate * traffic * (STEP / 1000) * Math.max(0.2, 1 + 0.2 * rng.normal());
    totalAlloc += allocated;
    allocPhase += allocated;
    sinceGC += STEP;
    if (allocPhase >= cycle) {
      numGC += Math.floor(allocPhase / cycle);
      allocPhase %= cycle;
      sinceGC = 0;
    } else if (sinceGC >= 120_000) {
      // Go forces a GC when none ran for two minutes; it happened somewhere in this step.
      numGC++;
      allocPhase = allocated * rng.next();
      sinceGC = 0;
    }
    const heapAlloc = live + allocPhase;
    const heapInuse = heapAlloc * 1.04 + MB;
    heapSysMax = Math.max(heapSysMax, goal * 1.12 + 4 * MB);
    const heapIdle = heapSysMax - heapInuse;
    // The scavenger keeps about 10% above the goal resident and returns the rest.
    const retained = Math.min(heapSysMax, goal * 1.1);
    const heapReleased = Math.max(0, Math.min(heapIdle, heapSysMax - retained));
    const meta = 0.05 * heapSysMax + 3 * MB;
    sysMax = Math.max(sysMax, heapSysMax + stacks + meta);
    const nonGo = plan.nonGo?.(h, hl) ?? 0;
    const rss = (retained * 0.92 + stacks + meta + 7 * MB + nonGo) * (1 + rssWander.step());
    const s: Sample = {
      t, heapAlloc: Math.round(heapAlloc), heapInuse: Math.round(heapInuse), heapIdle: Math.round(heapIdle),
      heapReleased: Math.round(heapReleased), heapSys: Math.round(heapSysMax), sys: Math.round(sysMax),
      stackInuse: stacks, stackSys: stacks, nextGC: Math.round(goal), numGC, totalAlloc: Math.round(totalAlloc),
      goroutines: gor, rss: Math.round(rss), processStart: lifeStart, pid,
    };
    if (plan.gogcKnown) s.gogc = plan.gogc;
    if (plan.memlimit && plan.memlimitKnown) s.gomemlimit = plan.memlimit;
    out.push(s);
  }
  return out;
}

/** Hours of a ramp that starts at `at` (0 before). */
const after = (x: number, at: number): number => Math.max(0, x - at);

function basePlan(rng: Rng, hours: number): Plan {
  return {
    hours, baseHeap: rng.range(80, 600) * MB, gogc: 100, gogcKnown: rng.next() < 0.5,
    allocRate: rng.range(2, 30) * MB, dailyAmp: rng.range(0.1, 0.3), inflight: 0.02, restarts: [],
    truth: { onsets: [], allowed: [] },
  };
}

const HEAP_LEAK: Metric[] = ['heap', 'sys', 'rss'];

/** A steady heap leak of `pct` %/h of the base live heap, from `onset` hours in its lifetime. */
function heapLeak(p: Plan, pct: number, onset: number): Plan {
  p.heapExtra = (h) => (pct / 100) * p.baseHeap * after(h, onset);
  p.truth = { metric: 'heap', onsets: [onset], allowed: HEAP_LEAK };
  return p;
}

export interface Shape {
  name: string;
  positive: boolean;
  plan: (rng: Rng) => Plan;
}

export const SHAPES: Shape[] = [
  // ---- negatives: no incident may open ----
  { name: 'steady', positive: false, plan: (r) => basePlan(r, 24) },
  {
    name: 'gc-sawtooth', positive: false,
    plan: (r) => ({ ...basePlan(r, 24), gogc: [50, 100, 200, 400][Math.floor(r.range(0, 4))], allocRate: r.range(0.2, 3) * MB }),
  },
  {
    name: 'memlimit-pinned', positive: false,
    plan: (r) => {
      const p = basePlan(r, 24);
      return { ...p, memlimit: p.baseHeap * r.range(1.15, 1.35), memlimitKnown: r.next() < 0.5 };
    },
  },
  {
    name: 'one-off-step', positive: false,
    plan: (r) => {
      const p = basePlan(r, 24);
      const at = r.range(2, 20), size = r.range(0.1, 0.4);
      return { ...p, heapExtra: (h) => (h >= at ? size * p.baseHeap : 0) };
    },
  },
  {
    name: 'burst-drain', positive: false,
    plan: (r) => {
      const p = basePlan(r, 24);
      const bursts = Array.from({ length: 4 }, () => ({ at: r.range(1, 22), size: r.range(0.2, 0.6), tau: r.range(0.3, 1.5) }));
      return { ...p, heapExtra: (h) => bursts.reduce((s, b) => s + (h >= b.at ? b.size * p.baseHeap * Math.exp(-(h - b.at) / b.tau) : 0), 0) };
    },
  },
  {
    name: 'cache-plateau', positive: false,
    plan: (r) => {
      const p = basePlan(r, 24);
      const size = r.range(0.3, 0.8), tau = r.range(3, 10) / 60;
      return { ...p, heapExtra: (_h, hl) => size * p.baseHeap * (1 - Math.exp(-hl / tau)) };
    },
  },
  {
    name: 'batch-spikes', positive: false,
    plan: (r) => {
      const p = basePlan(r, 24);
      const every = r.range(1, 3), len = r.range(5, 20) / 60, size = r.range(0.5, 1.2), off = r.range(0, every);
      const inBatch = (h: number): boolean => (h + off) % every < len;
      return {
        ...p,
        heapExtra: (h) => (inBatch(h) ? size * p.baseHeap : 0),
        goroutineExtra: (h) => (inBatch(h) ? 200 : 0),
      };
    },
  },
  { name: 'daily-cycle', positive: false, plan: (r) => ({ ...basePlan(r, 72), dailyAmp: 0.6, inflight: 0.03 }) },
  {
    name: 'worker-pool', positive: false,
    plan: (r) => {
      const p = basePlan(r, 24);
      const sizes = Array.from({ length: 48 }, () => Math.round(r.range(0, 400)));
      return { ...p, goroutineExtra: (h) => sizes[Math.floor(h / 0.5) % 48] };
    },
  },
  {
    name: 'crash-loop', positive: false,
    plan: (r) => {
      const p = basePlan(r, 12);
      const restarts: number[] = [];
      for (let h = r.range(0.05, 0.3); h < 12; h += r.range(0.05, 0.3)) restarts.push(h);
      return { ...p, restarts, heapExtra: (_h, hl) => 0.5 * p.baseHeap * Math.min(1, hl * 6) };
    },
  },
  {
    name: 'deploys', positive: false,
    plan: (r) => {
      const p = basePlan(r, 48);
      const restarts: number[] = [];
      for (let h = r.range(2, 8); h < 48; h += r.range(2, 8)) restarts.push(h);
      return { ...p, restarts, heapExtra: (_h, hl) => 0.4 * p.baseHeap * (1 - Math.exp(-hl * 12)) };
    },
  },
  // ---- positives: the named metric's incident must open after the onset ----
  { name: 'leak-1%/h', positive: true, plan: (r) => heapLeak(basePlan(r, 16), 1, r.range(0, 4)) },
  { name: 'leak-2%/h', positive: true, plan: (r) => heapLeak(basePlan(r, 12), 2, r.range(0, 4)) },
  { name: 'leak-5%/h', positive: true, plan: (r) => heapLeak(basePlan(r, 8), 5, r.range(0, 4)) },
  { name: 'leak-30%/h', positive: true, plan: (r) => heapLeak(basePlan(r, 6), 30, r.range(0.5, 3)) },
  { name: 'leak-in-warmup', positive: true, plan: (r) => heapLeak(basePlan(r, 8), 3, r.range(0, 0.2)) },
  {
    name: 'leak-gc-sawtooth', positive: true,
    plan: (r) => heapLeak({ ...basePlan(r, 12), gogc: [50, 200, 400][Math.floor(r.range(0, 3))], allocRate: r.range(0.2, 3) * MB }, 2, r.range(0, 3)),
  },
  {
    name: 'staircase', positive: true,
    plan: (r) => {
      const p = basePlan(r, 12);
      const every = r.range(0.4, 1), onset = r.range(0, 3);
      p.heapExtra = (h) => (h < onset ? 0 : 0.02 * every * p.baseHeap * Math.ceil((h - onset) / every));
      p.truth = { metric: 'heap', onsets: [onset], allowed: HEAP_LEAK };
      return p;
    },
  },
  { name: 'leak-daily-cycle', positive: true, plan: (r) => heapLeak({ ...basePlan(r, 24), dailyAmp: 0.6, inflight: 0.03 }, 2, r.range(0, 12)) },
  {
    name: 'leak-restarting', positive: true,
    plan: (r) => {
      const p = basePlan(r, 24);
      const every = r.range(3, 6);
      p.restarts = Array.from({ length: Math.floor(24 / every) }, (_, i) => (i + 1) * every);
      p.heapExtra = (_h, hl) => 0.05 * p.baseHeap * hl;
      p.truth = { metric: 'heap', onsets: [0], allowed: HEAP_LEAK };
      return p;
    },
  },
  {
    name: 'goroutine-leak', positive: true,
    plan: (r) => {
      const p = basePlan(r, 12);
      const perHour = r.range(120, 600), onset = r.range(0, 4);
      p.goroutineExtra = (h) => perHour * after(h, onset);
      // Each blocked goroutine also pins a little heap (its channel, request, closure).
      p.heapExtra = (h) => 4096 * perHour * after(h, onset);
      p.truth = { metric: 'goroutines', onsets: [onset], allowed: ['goroutines', 'heap', 'sys', 'rss'] };
      return p;
    },
  },
  {
    name: 'rss-outside-heap', positive: true,
    plan: (r) => {
      const p = basePlan(r, 12);
      const onset = r.range(0, 4), pct = r.range(2, 5);
      p.nonGo = (h) => (pct / 100) * p.baseHeap * 2 * after(h, onset);
      p.truth = { metric: 'rss', onsets: [onset], allowed: ['rss'] };
      return p;
    },
  },
];

/** Builds the scenario of `shape` for `seed`. */
export function scenario(shape: Shape, seed: number): Scenario {
  const rng = new Rng(seed * 7919 + hashName(shape.name));
  const plan = shape.plan(rng);
  const samples = simulate(plan, rng);
  const service = benchService(`${shape.name}#${seed}`);
  return {
    shape: shape.name, seed, positive: shape.positive, samples, service, truth: plan.truth,
    days: plan.hours / 24, baseHeap: plan.baseHeap,
  };
}

function hashName(name: string): number {
  let h = 0;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h >>> 0;
}
