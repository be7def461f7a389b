/** The first line of /debug/pprof/goroutine?debug=1 (go-formats §4.2): "goroutine profile: total N". Pure. */
import { ScrapeError } from './errors.js';

const HEADER = /^goroutine profile: total (\d+)\r?$/;

export function parseGoroutineCount(text: string): number {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  const m = HEADER.exec(first);
  if (!m) {
    const shown = first.slice(0, 60).replace(/[^\x20-\x7e]/g, '?');
    throw new ScrapeError('bad_format', `goroutine?debug=1: expected "goroutine profile: total N", got ${JSON.stringify(shown)}`);
  }
  return Number(m[1]);
}
