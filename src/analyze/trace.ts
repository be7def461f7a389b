/**
 * The trace format of design §3 (`leakwatch replay`, `leakwatch export-trace`): JSON Lines, one
 * sample per line, `t` required as an ISO time or Unix milliseconds, every other field optional
 * and named as in MemStats. Pure: text in, samples out (and back).
 */
import { emptySample, SAMPLE_FIELDS, type Sample } from '../model/sample.js';

const NUMERIC = new Set<string>(SAMPLE_FIELDS);

export class TraceError extends Error {
  constructor(readonly line: number, message: string) {
    super(`parsing trace: line ${line}: ${message}`);
    this.name = 'TraceError';
  }
}

function parseTime(value: unknown, line: number, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new TraceError(line, `${field}: expected an ISO time or Unix milliseconds, got ${JSON.stringify(value)}`);
}

/** Parses a trace; blank lines are skipped, unknown fields ignored (newer writers may add some). */
export function parseTrace(text: string): Sample[] {
  const out: Sample[] = [];
  const lines = text.split('\n');
  let lastStart: { text: unknown; ms: number } = { text: undefined, ms: NaN };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].trim();
    if (raw === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      throw new TraceError(lineNo, `not valid JSON (${(err as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new TraceError(lineNo, 'expected a JSON object');
    const rec = obj as Record<string, unknown>;
    if (!('t' in rec)) throw new TraceError(lineNo, 't: missing (every sample needs its time)');
    const sample = emptySample(parseTime(rec.t, lineNo, 't'));
    for (const key in rec) {
      const value = rec[key];
      if (key === 't' || value === null) continue;
      if (key === 'processStart') {
        // The same start on every line of a lifetime: parsed once per lifetime.
        if (value !== lastStart.text) lastStart = { text: value, ms: parseTime(value, lineNo, key) };
        sample.processStart = lastStart.ms;
      } else if (key === 'restart') {
        if (typeof value !== 'boolean') throw new TraceError(lineNo, `restart: expected true or false, got ${JSON.stringify(value)}`);
        sample.restart = value;
      } else if (NUMERIC.has(key)) {
        if (typeof value !== 'number' || !Number.isFinite(value)) throw new TraceError(lineNo, `${key}: expected a number, got ${JSON.stringify(value)}`);
        (sample as unknown as Record<string, number>)[key] = value;
      }
    }
    const prev = out[out.length - 1];
    if (prev && sample.t < prev.t) throw new TraceError(lineNo, `t goes backwards (${new Date(sample.t).toISOString()} after ${new Date(prev.t).toISOString()})`);
    out.push(sample);
  }
  return out;
}

/**
 * A time as the trace writes it: ISO when it is a whole millisecond (every clock leakwatch reads),
 * else Unix ms as a number (a Prometheus `process_start_time_seconds` × 1000 may carry a fraction
 * an ISO time would drop). parseTrace reads both, so nothing is lost.
 */
function traceTime(ms: number): string | number {
  return Number.isInteger(ms) ? new Date(ms).toISOString() : ms;
}

/**
 * One sample as a trace record, losing nothing: every stored field (SAMPLE_FIELDS, with `pid`,
 * `gogc`, `gomemlimit`) and the collector's `restart` flag, so `parseTrace` gives back the sample
 * the daemon's detector read. The one codec of `export-trace`, the samples API and `replay`.
 */
export function traceRecord(s: Sample): Record<string, unknown> {
  const rec: Record<string, unknown> = { t: traceTime(s.t) };
  for (const f of SAMPLE_FIELDS) {
    const v = s[f];
    if (v === undefined) continue;
    rec[f] = f === 'processStart' ? traceTime(v) : v;
  }
  if (s.restart !== undefined) rec.restart = s.restart;
  return rec;
}

/** One sample as one line of the trace format, without the newline. */
export function traceLine(s: Sample): string {
  return JSON.stringify(traceRecord(s));
}

/** One JSON line per sample (traceLine), each ending in a newline. */
export function formatTrace(samples: readonly Sample[]): string {
  let out = '';
  for (const s of samples) out += traceLine(s) + '\n';
  return out;
}
