/**
 * Scoring of `bench:detect`: pure functions from replayed traces (detect-run.ts) to the numbers
 * the tables print. Rules of the game:
 *  - an incident on a negative trace, before the first onset, or on a metric the leak does not
 *    move is a false alert;
 *  - leakwatch catches a leak with an incident on the leaking metric (a heap leak reported as RSS
 *    sends on-call to the wrong tool); a peer rule watches one metric, so any allowed metric counts;
 *  - latency runs from the first onset;
 *  - flapping: more than one incident for one leaking lifetime on one metric, or an incident
 *    resolved while the leak still runs (no restart between its opening and its resolution);
 *  - bounded fills are neither false alerts nor misses: their alerts are counted apart.
 */
import type { Opened, TraceResult } from './detect-run.js';

const HOUR = 3_600_000;

export interface RuleScore {
  traces: number;
  days: number;
  falseAlerts: number;
  caught: number;
  caughtIn8h: number;
  /** Hours from onset to catch, caught traces only. */
  latencies: number[];
  /** Traces with more than one incident for one leaking lifetime and metric. */
  flapping: number;
  /** Incidents resolved while their leak still ran. */
  resolvedEarly: number;
  /** Traces with any incident (for bounded fills). */
  alerted: number;
  incidents: number;
}

export const emptyScore = (): RuleScore => ({
  traces: 0, days: 0, falseAlerts: 0, caught: 0, caughtIn8h: 0, latencies: [], flapping: 0, resolvedEarly: 0, alerted: 0, incidents: 0,
});

/** Lifetime index of a time (hours since start): restarts at or before it. */
function lifetime(restarts: readonly number[], h: number): number {
  let n = 0;
  for (const r of restarts) if (r <= h) n++;
  return n;
}

/** Adds trace `r` as seen by rule `k` (0 is leakwatch) to `into`. */
export function scoreTrace(r: TraceResult, k: number, into: RuleScore): void {
  const incidents = r.rules[k];
  into.traces++;
  into.days += r.days;
  into.incidents += incidents.length;
  if (incidents.length > 0) into.alerted++;
  if (r.kind === 'bounded') return;
  const onset = r.kind === 'positive' ? r.start + r.truth.onsets[0] * HOUR : Infinity;
  const hours = (t: number): number => (t - r.start) / HOUR;
  let caughtAt: number | undefined;
  const perLifetime = new Map<string, number>();
  for (const o of incidents) {
    if (o.at < onset || !r.truth.allowed.includes(o.metric)) {
      into.falseAlerts++;
      continue;
    }
    const catches = k === 0 ? o.metric === r.truth.metric : true;
    if (catches && caughtAt === undefined) caughtAt = o.at;
    const key = `${lifetime(r.truth.restarts, hours(o.at))}/${o.metric}`;
    perLifetime.set(key, (perLifetime.get(key) ?? 0) + 1);
    if (o.until !== null && !restartBetween(r.truth.restarts, hours(o.at), hours(o.until))) into.resolvedEarly++;
  }
  if ([...perLifetime.values()].some((n) => n > 1)) into.flapping++;
  if (caughtAt !== undefined) {
    const latency = (caughtAt - onset) / HOUR;
    into.caught++;
    into.latencies.push(latency);
    if (latency <= 8) into.caughtIn8h++;
  }
}

/** A resolution within 10 minutes after a restart is the restart's, not a lapse of the detector. */
function restartBetween(restarts: readonly number[], from: number, to: number): boolean {
  return restarts.some((x) => x > from && x <= to && to - x <= 10 / 60);
}

export function quantile(xs: readonly number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Median latency with every miss counted as never: what the acceptance goals compare. */
export function medianWithMisses(s: RuleScore): number {
  const positives = s.traces;
  return quantile([...s.latencies, ...Array(positives - s.caught).fill(Infinity)], 0.5) ?? Infinity;
}

export interface Band {
  label: string;
  lo: number;
  hi: number;
}

/** Heap leak rates (%/h of the settled live heap) the issue's goals name. */
export const BANDS: Band[] = [
  { label: '>=5%/h', lo: 5, hi: Infinity },
  { label: '2-5%/h', lo: 2, hi: 5 },
  { label: '1-2%/h', lo: 1, hi: 2 },
  { label: '0.5-1%/h', lo: 0.5, hi: 1 },
  { label: '<0.5%/h', lo: 0, hi: 0.5 },
];

/** The band of a heap leak, or undefined for other traces. */
export function bandOf(r: TraceResult): Band | undefined {
  if (r.kind !== 'positive' || r.truth.metric !== 'heap' || r.truth.rate?.unit !== '%/h') return undefined;
  const v = r.truth.rate.value;
  return BANDS.find((b) => v >= b.lo && v < b.hi);
}

/** Scores of every rule over the traces `pick` selects. */
export function scoreAll(results: readonly TraceResult[], rules: number, pick: (r: TraceResult) => boolean): RuleScore[] {
  const out = Array.from({ length: rules }, emptyScore);
  for (const r of results) if (pick(r)) for (let k = 0; k < rules; k++) scoreTrace(r, k, out[k]);
  return out;
}

/** One verbose line: incidents with times relative to the onset (or to the start on negatives). */
export function describeIncidents(r: TraceResult, incidents: readonly Opened[]): string {
  const ref = r.truth.onsets.length ? r.start + r.truth.onsets[0] * HOUR : r.start;
  const rel = (t: number): string => {
    const h = (t - ref) / HOUR;
    return `${r.truth.onsets.length && h >= 0 ? '+' : ''}${h.toFixed(2)}h`;
  };
  if (incidents.length === 0) return 'no incident';
  return incidents.map((o) => `${o.metric}@${rel(o.at)}${o.until !== null ? `..${rel(o.until)}` : ''}`).join(' ');
}
