/**
 * The floor a metric is judged on (judge.ts): the current lifetime's post-warm-up buckets over a
 * span, and under a memory limit the heap's lower envelope. Pure.
 */
import type { ServiceConfig } from '../config/schema.js';
import type { Metric } from '../model/incident.js';
import { leastOf } from './assess.js';
import type { History, Series } from './history.js';

export interface FloorContext {
  service: ServiceConfig;
  history: History;
  now: number;
  life: { index: number; start: number };
}

/** The current lifetime's post-warm-up floor within the last `span` ms. */
export function lifetimeFloor(ctx: FloorContext, metric: Metric, span: number, hourly = false): Series {
  const h = ctx.history;
  const list = hourly ? h.hourly : h.fine;
  const x = h.series(metric, list, h.indexAt(ctx.now - span, list), list.length, ctx.life.index, ctx.service.warmup, ctx.life.start);
  return metric === 'heap' && !hourly && underLimit(h, ctx.life.index) ? lowerEnvelope(x) : x;
}

/** A memory limit sets the GC goal in lifetime `life`: told (GOMEMLIMIT with the goal at it) or seen (goal pinned). */
function underLimit(h: History, life: number): boolean {
  const last = h.fine[h.fine.length - 1];
  const told = last !== undefined && last.life === life && !Number.isNaN(last.memlimit) && Number.isNaN(last.goalLive) && Number.isNaN(last.goalMin);
  return told || h.goalPinned(life);
}

/**
 * Whether the floor's jumps are the metric's own (assess.ts, SpanInput): not the heap's under a
 * memory limit, where they are as much the scrapes' phase in the GC cycle, unless the floor is the
 * heap the GC left (buckets.ts, heapLeftByGC) in most of the lifetime's buckets in the window.
 */
export function ownJumpsOf(ctx: FloorContext, metric: Metric): boolean {
  return metric !== 'heap' || !underLimit(ctx.history, ctx.life.index) || mostlyLeftByGC(ctx);
}

/** In most of the lifetime's buckets within the window, LastGC took something off HeapAlloc's least. */
function mostlyLeftByGC(ctx: FloorContext): boolean {
  const fine = ctx.history.fine;
  let seen = 0, left = 0;
  for (let i = fine.length - 1; i >= 0 && fine[i].life === ctx.life.index && fine[i].t > ctx.now - ctx.service.window; i--) {
    seen++;
    if (fine[i].cycleLive < fine[i].cycleMin) left++;
  }
  return left > seen / 2;
}

/** The lifetime's latest bucket saw the GC goal at the runtime's minimum heap (buckets.ts, heapMinimum). */
export function goalAtMinimum(h: History, life: number): boolean {
  const last = h.fine[h.fine.length - 1];
  return last !== undefined && last.life === life && last.samplesAtMinimum > 0;
}

/** Neighbours on each side whose least HeapAlloc a point's floor takes under a memory limit (±5 min at a 6 h window). */
const ENVELOPE_SIDE = 2;

/**
 * Under a memory limit the GC goal says nothing of the live heap and the floor is the least
 * HeapAlloc a bucket saw: a scrape lands some way into a GC cycle, so each reads the live heap
 * plus what was allocated since that cycle began, and a bucket whose samples all landed late
 * reads high. The least of each point and its ENVELOPE_SIDE neighbours on each side keeps the
 * floor and drops those: under a limit that GCs every few seconds, the least of one or three
 * buckets' scrapes still wanders by a good share of the headroom.
 */
function lowerEnvelope(x: Series): Series {
  const n = x.v.length;
  if (n < 3) return x;
  const v = x.v.map((_, i) => leastOf(x.v, Math.max(0, i - ENVELOPE_SIDE), Math.min(n, i + ENVELOPE_SIDE + 1)));
  return { ...x, v };
}
