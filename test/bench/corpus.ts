/**
 * The corpus `bench:detect` scores: traces of 12–48 h at 15 s generated from randomized
 * parameters (corpus-parts.ts) on the runtime model (simulate.ts), so a detector cannot be fitted
 * to a handful of shapes. A trace is a pure function of its class and seed. Two sets from
 * disjoint seed spaces: tune on `tuning`, report `validation`; `holdout`, a third, is for a report
 * after the validation set has been looked at for a decision (it then counts as tuning data).
 *
 * Kinds: negatives are clearly not leaks (saturating warm-ups, cycles, restarts, noise, batches,
 * pools, steps, a heap pinned at GOMEMLIMIT); positives leak from a known onset; `bounded` fills
 * grow linearly for a few hours and stop, reported apart (neither a false alert nor a miss).
 */
import type { ServiceConfig } from '../../src/config/schema.js';
import { CLASSES, round, type CorpusTruth, type Kind } from './corpus-classes.js';
import { service, settledHeap } from './corpus-parts.js';
import type { Scenario } from './scenarios.js';
import { MB, Rng, benchService, simulate } from './simulate.js';

export { CLASSES, type CorpusTruth, type Kind } from './corpus-classes.js';
export type CorpusSet = 'tuning' | 'validation' | 'holdout';

export interface CorpusTrace extends Scenario {
  kind: Kind;
  hours: number;
  truth: CorpusTruth;
  /** The drawn parameters worth showing in a verbose line. */
  params: Record<string, string | number>;
}

/** Thresholds of issue 11's defaults: heap 0.5%/h, sys 1%/h, RSS 2%/h, goroutines 30/h. */
export function corpusService(name: string): ServiceConfig {
  return {
    ...benchService(name),
    thresholds: {
      heapGrowth: { value: 0.5, unit: 'percent' },
      sysGrowth: { value: 1, unit: 'percent' },
      rssGrowth: { value: 2, unit: 'percent' },
      goroutineGrowth: { value: 30, unit: 'count' },
    },
  };
}

export const CLASS_NAMES: readonly string[] = CLASSES.map((c) => c.name);

/** Traces per class in a full set (20 classes: 500 traces per set). */
export const PER_CLASS = 25;
/** Each set owns a seed space of this size: tuning [1, 1e6), validation [1e6+1, 2e6], holdout [2e6+1, 3e6]. */
export const SEED_SPACE = 1_000_000;
const FIRST_SEED: Record<CorpusSet, number> = { tuning: 1, validation: SEED_SPACE + 1, holdout: 2 * SEED_SPACE + 1 };

export function setOfSeed(seed: number): CorpusSet | undefined {
  if (seed >= 1 && seed < SEED_SPACE) return 'tuning';
  if (seed > SEED_SPACE && seed <= 2 * SEED_SPACE) return 'validation';
  if (seed > 2 * SEED_SPACE && seed <= 3 * SEED_SPACE) return 'holdout';
  return undefined;
}

export interface TraceId {
  cls: string;
  seed: number;
}

/**
 * The traces of a set, classes interleaved so the first `n` are balanced across classes; `skip`
 * seeds per class left out first (a slice of the set not yet looked at).
 */
export function setTraces(set: CorpusSet, n = PER_CLASS * CLASSES.length, only?: string, skip = 0): TraceId[] {
  const names = only ? CLASS_NAMES.filter((c) => c === only) : CLASS_NAMES;
  if (names.length === 0) throw new Error(`unknown class ${only}; classes: ${CLASS_NAMES.join(', ')}`);
  const out: TraceId[] = [];
  for (let i = 0; out.length < n; i++) for (const cls of names) if (out.length < n) out.push({ cls, seed: FIRST_SEED[set] + skip + i });
  return out;
}

/** Murmur3's 32-bit finalizer: nearby seeds give unrelated streams. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function hashName(name: string): number {
  let h = 0;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h >>> 0;
}

/** The trace of class `cls` and `seed`: the same arguments always give the same samples. */
export function corpusTrace(cls: string, seed: number): CorpusTrace {
  const c = CLASSES.find((k) => k.name === cls);
  if (!c) throw new Error(`unknown class ${cls}; classes: ${CLASS_NAMES.join(', ')}`);
  const rng = new Rng(mix(hashName(cls) ^ mix(seed)));
  const made = c.make(rng);
  const { plan } = made;
  const samples = simulate(plan, rng);
  const truth: CorpusTruth = { ...(made.truth ?? { onsets: [], allowed: [] }), restarts: plan.restarts };
  return {
    shape: cls, seed, kind: c.kind, positive: c.kind === 'positive', samples, service: corpusService(`${cls}-${seed}`),
    truth, days: plan.hours / 24, hours: plan.hours, baseHeap: made.settled,
    params: { baseMB: round(plan.baseHeap / MB, 0), gogc: plan.gogc, allocMBps: round(plan.allocRate / MB, 3), ...made.params },
  };
}

/** A steady service over 7 days, for the replay-speed line. */
export function steadyWeek(seed = 1): CorpusTrace {
  const rng = new Rng(mix(hashName('steady-week') ^ mix(seed)));
  const plan = service(rng, 7 * 24);
  const samples = simulate(plan, rng);
  return {
    shape: 'steady-week', seed, kind: 'negative', positive: false, samples, service: corpusService('steady-week'),
    truth: { onsets: [], allowed: [], restarts: [] }, days: 7, hours: 7 * 24, baseHeap: settledHeap(plan), params: {},
  };
}

