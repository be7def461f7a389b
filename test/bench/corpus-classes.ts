/**
 * The corpus's classes (corpus.ts): how each draws a trace's plan from its Rng. Negatives are
 * clearly not leaks (saturating warm-ups, cycles, restarts, noise, batches, pools, steps, a heap
 * pinned at GOMEMLIMIT); positives leak from a known onset at a drawn rate; bounded fills grow
 * linearly for a few hours and stop.
 */
import type { Metric } from '../../src/model/incident.js';
import { MB, type Plan, type Rng } from './simulate.js';
import {
  addBatches, addCycle, addGoroutines, addHeap, addNonGo, addWarmup, addWorkerPool, leakProgress, restartTimes,
  service, settledHeap, warmup, type Cycle, type Warmup,
} from './corpus-parts.js';

export type Kind = 'negative' | 'positive' | 'bounded';

export interface CorpusTruth {
  /** The metric whose incident counts as catching the leak; undefined for negatives and bounded fills. */
  metric?: Metric;
  /** Leak onsets, hours since trace start (one per leaking lifetime); a bounded fill's start. */
  onsets: number[];
  /** Metrics an incident may name without being a false alert (after the onset). */
  allowed: Metric[];
  /** Leak rate: %/h of the settled live heap (heap), %/h of RSS (rss), or goroutines per hour. */
  rate?: { value: number; unit: '%/h' | '/h' };
  /** Restart times, hours since trace start. */
  restarts: number[];
}

export interface Made {
  plan: Plan;
  /** The live heap a lifetime settles at without a leak, bytes (the reference of %/h). */
  settled: number;
  truth?: Omit<CorpusTruth, 'restarts'>;
  params?: Record<string, string | number>;
}

export interface CorpusClass {
  name: string;
  kind: Kind;
  make: (r: Rng) => Made;
}

const HEAP: Metric[] = ['heap', 'sys', 'rss'];
const after = (h: number, at: number): number => Math.max(0, h - at);
/** Trace length: uniform in [max(12, min), 48] hours. */
const hoursIn = (r: Rng, min = 12): number => r.range(Math.min(48, Math.max(12, min)), 48);
export const round = (x: number, d = 2): number => Number(x.toFixed(d));

function describe(w?: Warmup, c?: Cycle): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (w) Object.assign(out, { warmup: w.shape, tauH: round(w.tauHours), warmAmp: round(w.amp) });
  if (c) Object.assign(out, { periodH: round(c.periodHours), trafficAmp: round(c.amp) });
  return out;
}

/** A heap leak of `pct` %/h of the settled heap from `onset` (hours since trace start). */
function heapLeak(r: Rng, p: Plan, settled: number, pct: number, onset: number, c?: Cycle): Made['truth'] & { mode: string } {
  const lp = leakProgress(r, c);
  const perHour = (pct / 100) * settled;
  addHeap(p, (h) => perHour * lp.hoursLeaked(onset, h));
  return { metric: 'heap', onsets: [onset], allowed: HEAP, rate: { value: pct, unit: '%/h' }, mode: lp.mode };
}

function positive(p: Plan, settled: number, t: Made['truth'] & { mode?: string }, params: Record<string, string | number>): Made {
  const { mode, ...truth } = t;
  return { plan: p, settled, truth, params: mode ? { ...params, mode } : params };
}

const NEGATIVES: CorpusClass[] = [
  { name: 'steady', kind: 'negative', make: (r) => { const p = service(r, hoursIn(r)); return { plan: p, settled: settledHeap(p) }; } },
  {
    name: 'idle', kind: 'negative',
    make: (r) => {
      const p = service(r, hoursIn(r));
      const level = r.range(0.05, 0.3);
      Object.assign(p, { baseHeap: r.logRange(3, 40) * MB, allocRate: r.logRange(0.002, 0.2) * MB, traffic: () => level });
      p.noise = { ...p.noise, heap: r.logRange(0.002, 0.02) };
      return { plan: p, settled: settledHeap(p) };
    },
  },
  ...(['exp', 'slow'] as const).map((kind): CorpusClass => ({
    name: `warmup-${kind}`, kind: 'negative',
    make: (r) => {
      const w = warmup(r, kind === 'exp' ? ['exp'] : ['hyperbolic', 'log-capped']);
      const p = service(r, hoursIn(r, 3 * w.tauHours + 8));
      addWarmup(r, p, w, 1);
      return { plan: p, settled: settledHeap(p, w), params: describe(w) };
    },
  })),
  {
    name: 'cycle', kind: 'negative',
    make: (r) => {
      const p = service(r, 12);
      const c = addCycle(r, p);
      p.hours = hoursIn(r, 2 * c.periodHours + 4);
      return { plan: p, settled: settledHeap(p), params: describe(undefined, c) };
    },
  },
  {
    name: 'restarts', kind: 'negative',
    make: (r) => {
      const p = service(r, hoursIn(r));
      const w = warmup(r);
      p.restarts = restartTimes(r, p.hours, 1 / 3, 12);
      addWarmup(r, p, w, p.restarts.length + 1);
      const c = r.chance(0.3) ? addCycle(r, p) : undefined;
      return { plan: p, settled: settledHeap(p, w), params: { ...describe(w, c), lifetimes: p.restarts.length + 1 } };
    },
  },
  {
    name: 'memlimit-pinned', kind: 'negative',
    make: (r) => {
      const p = service(r, hoursIn(r));
      const w = r.chance(0.5) ? warmup(r, ['exp']) : undefined;
      if (w) addWarmup(r, p, w, 1);
      Object.assign(p, { gogc: r.pick([100, 200, 400]), allocRate: r.logRange(1, 100) * MB, memlimitKnown: r.chance(0.5) });
      p.memlimit = settledHeap(p, w) * r.range(1.15, 1.6) + 10 * MB;
      return { plan: p, settled: settledHeap(p, w), params: { ...describe(w), limitMB: round(p.memlimit / MB, 0) } };
    },
  },
  {
    name: 'batch', kind: 'negative',
    make: (r) => {
      const p = service(r, hoursIn(r));
      addBatches(r, p);
      if (r.chance(0.3)) addBatches(r, p);
      return { plan: p, settled: settledHeap(p) };
    },
  },
  { name: 'worker-pool', kind: 'negative', make: (r) => { const p = service(r, hoursIn(r)); addWorkerPool(r, p); return { plan: p, settled: settledHeap(p) }; } },
  {
    name: 'step', kind: 'negative',
    make: (r) => {
      const p = service(r, hoursIn(r));
      for (let k = r.int(1, 3); k > 0; k--) {
        const at = r.range(1, p.hours - 1), until = r.chance(0.3) ? at + r.range(0.5, 6) : Infinity;
        const on = (h: number): boolean => h >= at && h < until;
        const what = r.pick(['heap', 'goroutines', 'rss'] as const), size = r.range(0.1, 0.5);
        if (what === 'heap') addHeap(p, (h) => (on(h) ? size * p.baseHeap : 0));
        else if (what === 'goroutines') addGoroutines(p, (h) => (on(h) ? Math.round(size * 1000) : 0));
        else addNonGo(p, (h) => (on(h) ? size * p.baseHeap : 0));
      }
      return { plan: p, settled: settledHeap(p) };
    },
  },
  {
    name: 'mixed', kind: 'negative',
    make: (r) => {
      const p = service(r, 12);
      const w = warmup(r);
      const c = addCycle(r, p);
      p.hours = hoursIn(r, 2 * c.periodHours + 4);
      if (r.chance(0.5)) p.restarts = restartTimes(r, p.hours, 1 / 3, 12);
      addWarmup(r, p, w, p.restarts.length + 1);
      if (r.chance(0.4)) addBatches(r, p);
      if (r.chance(0.3)) addWorkerPool(r, p);
      return { plan: p, settled: settledHeap(p, w), params: { ...describe(w, c), lifetimes: p.restarts.length + 1 } };
    },
  },
];

const BOUNDED: CorpusClass = {
  name: 'bounded-fill', kind: 'bounded',
  make: (r) => {
    const p = service(r, hoursIn(r));
    const settled = settledHeap(p);
    const from = r.range(0.5, p.hours - 8), hours = r.range(1, 6), pct = r.logRange(1, 20);
    addHeap(p, (h) => (pct / 100) * settled * Math.min(hours, after(h, from)));
    return {
      plan: p, settled, truth: { onsets: [from], allowed: [], rate: { value: pct, unit: '%/h' } },
      params: { fillH: round(hours) },
    };
  },
};

const POSITIVES: CorpusClass[] = [
  {
    name: 'heap-leak', kind: 'positive',
    make: (r) => {
      const p = service(r, hoursIn(r));
      const w = r.chance(0.5) ? warmup(r) : undefined;
      if (w) addWarmup(r, p, w, 1);
      const settled = settledHeap(p, w);
      return positive(p, settled, heapLeak(r, p, settled, r.logRange(0.2, 50), r.range(0, p.hours - 10)), describe(w));
    },
  },
  {
    name: 'heap-leak-warmup', kind: 'positive',
    make: (r) => {
      const w = warmup(r);
      const p = service(r, hoursIn(r));
      addWarmup(r, p, w, 1);
      const settled = settledHeap(p, w);
      const onset = r.range(0, Math.min(2 * w.tauHours, p.hours - 10));
      return positive(p, settled, heapLeak(r, p, settled, r.logRange(0.2, 50), onset), describe(w));
    },
  },
  {
    name: 'heap-leak-cycle', kind: 'positive',
    make: (r) => {
      const p = service(r, 12);
      const c = addCycle(r, p);
      p.hours = hoursIn(r, Math.max(2 * c.periodHours + 4, 14));
      const settled = settledHeap(p);
      return positive(p, settled, heapLeak(r, p, settled, r.logRange(0.2, 50), r.range(0, p.hours - 10), c), describe(undefined, c));
    },
  },
  {
    name: 'heap-leak-restarts', kind: 'positive',
    make: (r) => {
      // A deploy brings the leak: the first lifetimes may be clean, every one after it leaks again.
      const p = service(r, hoursIn(r, 16));
      const w = warmup(r);
      p.restarts = restartTimes(r, p.hours, 2, 12);
      addWarmup(r, p, w, p.restarts.length + 1);
      const settled = settledHeap(p, w), pct = r.logRange(0.2, 50);
      const starts = [0, ...p.restarts];
      const first = r.int(0, Math.min(2, starts.filter((s) => s <= p.hours - 10).length - 1));
      const delay = r.range(0, 0.5);
      const lp = leakProgress(r, undefined);
      addHeap(p, (h, hl, life) => (life >= first ? (pct / 100) * settled * lp.hoursLeaked(h - hl + delay, h) : 0));
      const onsets = starts.slice(first).map((s) => s + delay).filter((o) => o < p.hours);
      return positive(p, settled, { metric: 'heap', onsets, allowed: HEAP, rate: { value: pct, unit: '%/h' }, mode: lp.mode },
        { ...describe(w), lifetimes: starts.length, cleanLifetimes: first });
    },
  },
  ...([false, true] as const).map((pool): CorpusClass => ({
    name: pool ? 'goroutine-leak-pool' : 'goroutine-leak', kind: 'positive',
    make: (r) => {
      const p = service(r, hoursIn(r));
      const c = r.chance(0.3) ? addCycle(r, p) : undefined;
      if (pool) addWorkerPool(r, p);
      const perHour = r.logRange(40, 2000), pinned = r.logRange(2e3, 64e3), onset = r.range(0, p.hours - 10);
      addGoroutines(p, (h) => Math.round(perHour * after(h, onset)));
      // Each blocked goroutine also pins some heap (its channel, request, closure).
      addHeap(p, (h) => pinned * perHour * after(h, onset));
      return positive(p, settledHeap(p), { metric: 'goroutines', onsets: [onset], allowed: ['goroutines', ...HEAP], rate: { value: perHour, unit: '/h' } },
        { ...describe(undefined, c), pinnedKB: round(pinned / 1e3, 0) });
    },
  })),
  {
    name: 'rss-leak', kind: 'positive',
    make: (r) => {
      // cgo or mmap memory the Go heap never sees: RSS grows, the heap stays flat.
      const p = service(r, hoursIn(r));
      const settled = settledHeap(p);
      const rssRef = settled * (1 + p.gogc / 100) + 15 * MB;
      const pct = r.logRange(3, 30), onset = r.range(0, p.hours - 10);
      addNonGo(p, (h) => (pct / 100) * rssRef * after(h, onset));
      return positive(p, settled, { metric: 'rss', onsets: [onset], allowed: ['rss'], rate: { value: pct, unit: '%/h' } }, {});
    },
  },
  {
    name: 'memlimit-spiral', kind: 'positive',
    make: (r) => {
      // The live heap grows toward GOMEMLIMIT: the heap looks flat, GC runs ever more often.
      const p = service(r, hoursIn(r));
      Object.assign(p, { gogc: r.pick([100, 200, 400]), allocRate: r.logRange(1, 50) * MB, memlimitKnown: r.chance(0.5) });
      const settled = settledHeap(p);
      p.memlimit = settled * r.range(1.4, 2.2);
      const onset = r.range(0, 0.3 * p.hours);
      const perHour = (r.range(0.88, 0.98) * p.memlimit - settled) / (p.hours - onset);
      addHeap(p, (h) => perHour * after(h, onset));
      const pct = (perHour / settled) * 100;
      return positive(p, settled, { metric: 'heap', onsets: [onset], allowed: HEAP, rate: { value: pct, unit: '%/h' } }, { limitMB: round(p.memlimit / MB, 0) });
    },
  },
];

export const CLASSES: readonly CorpusClass[] = [...NEGATIVES, BOUNDED, ...POSITIVES];
