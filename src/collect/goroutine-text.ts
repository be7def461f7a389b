/** The first line of /debug/pprof/goroutine?debug=1 (go-formats §4.2): "goroutine profile: total N". Pure. */
import { ScrapeError } from './errors.js';
import { shownRaw, valueProblem } from './validate.js';

const HEADER = /^goroutine profile: total (\d+)\r?$/;

export function parseGoroutineCount(text: string): number {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  const m = HEADER.exec(first);
  if (!m) {
    const shown = first.slice(0, 60).replace(/[^\x20-\x7e]/g, '?');
    throw new ScrapeError('bad_format', `expected "goroutine profile: total N", got ${JSON.stringify(shown)}`, { stage: 'goroutine?debug=1' });
  }
  return checkedGoroutines('goroutine?debug=1', m[1]!);
}

/** The goroutine count as the validation table admits it; a count no runtime can have is a failure, not a value. */
export function checkedGoroutines(stage: string, raw: string): number {
  // Go prints %d: anything but an integer is not a count (Number() would take "1e3" or "0x10").
  const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  const problem = valueProblem('goroutines', value);
  if (problem) throw new ScrapeError('invalid_value', `dropped the goroutine count ${shownRaw(raw || '(empty)')} (${problem})`, { stage });
  return value;
}
