/**
 * The `# runtime.MemStats` footer of /debug/pprof/heap?debug=1 (go-formats §4.1): a stop-the-world
 * ReadMemStats, so the Sys identity of §5 holds exactly for it. Pure.
 */
import type { Sample } from '../model/sample.js';
import { ScrapeError } from './errors.js';
import { parseFloatStrict, parseUint } from './numbers.js';
import { MEMSTATS_FIELDS, type NumericKey } from './memstats-fields.js';

export const MEMSTATS_MARKER = '# runtime.MemStats';

/** "# Name = inuse / sys" lines. */
const PAIRS: Record<string, [NumericKey, NumericKey]> = {
  Stack: ['stackInuse', 'stackSys'],
  MSpan: ['mspanInuse', 'mspanSys'],
  MCache: ['mcacheInuse', 'mcacheSys'],
};

/**
 * Parses the MemStats footer. Accepts the whole heap?debug=1 body or just its tail from the
 * marker on (the collector slices large bodies before decoding them to a string).
 * MaxRSS is the *peak* RSS, not the current one, so it is deliberately not mapped to `rss`.
 */
export function parseHeapText(text: string): Partial<Sample> {
  const at = text.lastIndexOf(MEMSTATS_MARKER);
  if (at < 0) {
    throw new ScrapeError('bad_format', `heap?debug=1: no "${MEMSTATS_MARKER}" section (is this a Go net/http/pprof heap endpoint?)`);
  }
  const out: Partial<Sample> = {};
  let lineStart = text.indexOf('\n', at) + 1;
  while (lineStart > 0 && lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    // Go writes "# Key = value"; PauseNs/PauseEnd are 256-number arrays we skip without splitting them.
    if (text.startsWith('# ', lineStart) && text.charCodeAt(lineStart + 2) !== 0x50 /* P */) {
      parseLine(text.slice(lineStart + 2, lineEnd).trimEnd(), out);
    }
    lineStart = lineEnd + 1;
  }
  if (out.sys === undefined || out.heapAlloc === undefined) {
    throw new ScrapeError('bad_format', 'heap?debug=1: the runtime.MemStats section has no Sys or HeapAlloc line');
  }
  return out;
}

function parseLine(line: string, out: Partial<Sample>): void {
  const eq = line.indexOf(' = ');
  if (eq < 0) return;
  const name = line.slice(0, eq);
  const raw = line.slice(eq + 3);
  if (name === 'GCCPUFraction') {
    out.gcCPUFraction = need(parseFloatStrict(raw), name, raw);
    return;
  }
  const single = MEMSTATS_FIELDS[name];
  if (single) {
    out[single] = need(parseUint(raw), name, raw);
    return;
  }
  const pair = PAIRS[name];
  if (pair) {
    const m = /^(\d+) \/ (\d+)$/.exec(raw);
    if (!m) throw badValue(name, raw);
    out[pair[0]] = need(parseUint(m[1]), name, raw);
    out[pair[1]] = need(parseUint(m[2]), name, raw);
    return;
  }
}

function need(v: number | undefined, name: string, raw: string): number {
  if (v === undefined || Number.isNaN(v)) throw badValue(name, raw);
  return v;
}

function badValue(name: string, raw: string): ScrapeError {
  return new ScrapeError('bad_format', `heap?debug=1: bad value for ${name}: ${JSON.stringify(raw.slice(0, 40))}`);
}
