/**
 * Validation at the edge: every value a parser reads from a target is checked against what the Go
 * runtime can produce before it becomes part of a Sample. One table of rules, shared by the
 * heap?debug=1 footer, expvar, Prometheus and goroutine-count parsers (and /proc). A value that
 * fails is dropped and described, never stored or trended. Pure.
 */
import type { Sample } from '../model/sample.js';
import type { NumericKey } from './memstats-fields.js';

/** What a kind of value may be. */
interface Range {
  /** Smallest allowed value. */
  min: number;
  /** Largest allowed value; `below` makes it exclusive (2^63 − 1 and 2^63 are one double). */
  max: number;
  below?: boolean;
  integer: boolean;
  /** Words for `max` in a reason. */
  maxWords: string;
}

/** 2^63: uint64 counters and byte totals of a real process stay below it (a double cannot tell 2^63−1 from it). */
const TWO_63 = 2 ** 63;
/** More goroutines than any real process runs (each needs at least a 2 KiB stack: 10^8 is 200 GB). */
export const MAX_GOROUTINES = 1e8;
/** A target's clock may run ahead of ours by this much before its times count as "in the future". */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** 2000-01-01: no Go program started before Go existed. */
const EARLIEST_START_MS = Date.UTC(2000, 0, 1);

const COUNT: Range = { min: 0, max: TWO_63, below: true, integer: true, maxWords: 'at or above 2^63' };
const KINDS = {
  bytes: COUNT,
  count: COUNT,
  goroutines: { min: 1, max: MAX_GOROUTINES, integer: true, maxWords: 'above the 10^8 goroutine cap' },
  fraction: { min: 0, max: 1, integer: false, maxWords: 'above 1' },
  // GOGC: -1 is "off"; SetGCPercent takes an int, and nobody sets more than an int32.
  gogc: { min: -1, max: 2 ** 31 - 1, integer: true, maxWords: 'above 2^31−1' },
  // GOMEMLIMIT: math.MaxInt64 ("no limit") prints as 2^63 in floating point.
  memlimit: { min: 0, max: TWO_63, integer: true, maxWords: 'above math.MaxInt64' },
  // Unix ms; the upper bound is the scrape's clock plus skew (checked separately).
  unixMs: { min: EARLIEST_START_MS, max: Infinity, integer: true, maxWords: '' },
  // Unix ns; 0 means "never" (LastGC before the first GC).
  unixNs: COUNT,
  pid: { min: 1, max: 2 ** 22, integer: true, maxWords: 'above the kernel pid limit 2^22' },
} satisfies Record<string, Range>;

type Kind = keyof typeof KINDS;

/** The rule for every Sample field. A field added to Sample fails to compile here until it has one. */
export const FIELD_RULES: Readonly<Record<NumericKey, Kind>> = {
  heapAlloc: 'bytes', heapInuse: 'bytes', heapIdle: 'bytes', heapReleased: 'bytes', heapSys: 'bytes',
  heapObjects: 'count', sys: 'bytes', stackInuse: 'bytes', stackSys: 'bytes', mspanInuse: 'bytes',
  mspanSys: 'bytes', mcacheInuse: 'bytes', mcacheSys: 'bytes', buckHashSys: 'bytes', gcSys: 'bytes',
  otherSys: 'bytes', nextGC: 'bytes', lastGC: 'unixNs', numGC: 'count', numForcedGC: 'count',
  totalAlloc: 'bytes', mallocs: 'count', frees: 'count', pauseTotalNs: 'count', gcCPUFraction: 'fraction',
  goroutines: 'goroutines', rss: 'bytes', processStart: 'unixMs', pid: 'pid', gogc: 'gogc', gomemlimit: 'memlimit',
};

/**
 * [part, whole]: the part can never exceed the whole in one snapshot of MemStats. When one does,
 * there is no telling which of the two is wrong, so both are dropped.
 */
export const ORDER_RULES: readonly (readonly [NumericKey, NumericKey])[] = [
  ['heapAlloc', 'sys'],
  ['heapSys', 'sys'],
  ['heapInuse', 'heapSys'],
  ['heapIdle', 'heapSys'],
  ['heapReleased', 'heapIdle'],
  ['stackInuse', 'stackSys'],
  ['mspanInuse', 'mspanSys'],
  ['mcacheInuse', 'mcacheSys'],
  ['frees', 'mallocs'],
];

/** One value as a parser read it: the field, the target's own name for it, its text and its value in Sample units. */
export interface Reading {
  field: NumericKey;
  name: string;
  raw: string;
  value: number;
}

/** A value that was dropped, and why. */
export interface InvalidValue {
  name: string;
  raw: string;
  reason: string;
  /** Dropped by an order rule: `reason` already names both values. */
  order?: true;
}

export interface CheckOptions {
  /** The scrape's clock (Unix ms), for "not in the future"; without it times are not checked against a clock. */
  now?: number;
}

/** Why `value` cannot be a real `field`, or undefined when it can. */
export function valueProblem(field: NumericKey, value: number, opts: CheckOptions = {}): string | undefined {
  if (Number.isNaN(value)) return 'not a number';
  if (!Number.isFinite(value)) return value > 0 ? 'infinite or too large' : 'negative infinity';
  const kind = FIELD_RULES[field];
  const r: Range = KINDS[kind];
  if (value < 0 && r.min >= 0) return 'negative';
  if (r.integer && !Number.isInteger(value)) return 'not a whole number';
  if (value < r.min) return kind === 'unixMs' ? 'before the year 2000' : `below ${r.min}`;
  if (r.below ? value >= r.max : value > r.max) return r.maxWords;
  if (opts.now !== undefined) {
    const ms = kind === 'unixMs' ? value : kind === 'unixNs' ? value / 1e6 : undefined;
    if (ms !== undefined && ms > opts.now + CLOCK_SKEW_MS) return 'in the future';
  }
  return undefined;
}

/**
 * Applies the table to what one parser read: each field's own rule, then the order rules between
 * fields. Returns the admitted values and what was dropped; the first reading of a field wins.
 */
export function admit(readings: Iterable<Reading>, opts: CheckOptions = {}): { values: Partial<Sample>; invalid: InvalidValue[] } {
  const values: Partial<Sample> = {};
  const names = new Map<NumericKey, Reading>();
  const invalid: InvalidValue[] = [];
  for (const r of readings) {
    if (names.has(r.field)) continue;
    names.set(r.field, r);
    const problem = valueProblem(r.field, r.value, opts);
    if (problem) invalid.push({ name: r.name, raw: r.raw, reason: problem });
    else values[r.field] = r.value;
  }
  for (const [part, whole] of ORDER_RULES) {
    const p = values[part];
    const w = values[whole];
    if (p === undefined || w === undefined || p <= w) continue;
    const a = names.get(part)!;
    const b = names.get(whole)!;
    const reason = `${a.name} (${a.raw}) is more than ${b.name} (${b.raw})`;
    invalid.push({ name: a.name, raw: a.raw, reason, order: true }, { name: b.name, raw: b.raw, reason, order: true });
    delete values[part];
    delete values[whole];
  }
  return { values, invalid };
}

/** Raw text as a reason shows it: short and printable (a 400-digit number is not repeated whole). */
export function shownRaw(raw: string): string {
  const clean = raw.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 24 ? `${clean.slice(0, 12)}…(${clean.length} chars)` : clean;
}

const LISTED = 4;

/**
 * One line for the scrape log: "metrics: dropped 3 invalid values: go_goroutines = -5 (negative), …".
 * Order-rule pairs appear once, under the reason they share.
 */
export function describeInvalid(stage: string, invalid: readonly InvalidValue[]): string {
  const items: string[] = [];
  const seen = new Set<string>();
  for (const v of invalid) {
    const item = v.order ? v.reason : `${v.name} = ${shownRaw(v.raw)} (${v.reason})`;
    if (seen.has(item)) continue;
    seen.add(item);
    items.push(item);
  }
  const shown = items.slice(0, LISTED).join(', ');
  const more = items.length > LISTED ? `, and ${items.length - LISTED} more` : '';
  const n = invalid.length;
  return `${stage}: dropped ${n} invalid value${n === 1 ? '' : 's'}: ${shown}${more}`;
}

/** What the parsers take: the clock for time checks, and where to put the values they drop. */
export interface ParseOptions extends CheckOptions {
  invalid?: InvalidValue[];
}

/** admit(), reporting what was dropped into `opts.invalid`. */
export function admitInto(readings: Iterable<Reading>, opts: ParseOptions = {}): Partial<Sample> {
  const { values, invalid } = admit(readings, opts);
  opts.invalid?.push(...invalid);
  return values;
}
