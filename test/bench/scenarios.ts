/**
 * Hand-made shapes of a Go service's 15 s trace, with ground truth, for the detector's unit tests:
 * one named case each (a steady heap, a daily cycle, a 5%/h leak...), on the runtime model of
 * simulate.ts. The randomized corpus `bench:detect` scores lives in corpus.ts.
 */
import type { ServiceConfig } from '../../src/config/schema.js';
import type { Metric } from '../../src/model/incident.js';
import type { Sample } from '../../src/model/sample.js';
import { MB, Rng, benchService, simulate, type Plan } from './simulate.js';

export { Rng, T0, benchService, simulate, type Plan, type Truth } from './simulate.js';

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
