/**
 * The `# runtime.MemStats` footer of /debug/pprof/heap?debug=1 (go-formats §4.1): a stop-the-world
 * ReadMemStats, so the Sys identity of §5 holds exactly for it. Every value goes through the
 * validation table (validate.ts). Pure.
 */
import type { Sample } from '../model/sample.js';
import { ScrapeError } from './errors.js';
import { parseFloatStrict } from './numbers.js';
import { MEMSTATS_FIELDS, type NumericKey } from './memstats-fields.js';
import { admitInto, type ParseOptions, type Reading } from './validate.js';

export const MEMSTATS_MARKER = '# runtime.MemStats';

/** "# Name = inuse / sys" lines. */
const PAIRS: Record<string, [NumericKey, NumericKey]> = {
  Stack: ['stackInuse', 'stackSys'],
  MSpan: ['mspanInuse', 'mspanSys'],
  MCache: ['mcacheInuse', 'mcacheSys'],
};

/**
 * Parses the MemStats footer. Accepts the whole heap?debug=1 body or just its tail from the
 * marker on (the collector streams the body and keeps only the footer).
 * MaxRSS is the *peak* RSS, not the current one, so it is deliberately not mapped to `rss`.
 */
export function parseHeapText(text: string, opts: ParseOptions = {}): Partial<Sample> {
  const at = text.lastIndexOf(MEMSTATS_MARKER);
  if (at < 0) {
    throw new ScrapeError('bad_format', `no "${MEMSTATS_MARKER}" section (is this a Go net/http/pprof heap endpoint?)`, { stage: 'heap?debug=1' });
  }
  const readings: Reading[] = [];
  let lineStart = text.indexOf('\n', at) + 1;
  while (lineStart > 0 && lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    // Go writes "# Key = value"; PauseNs/PauseEnd are 256-number arrays we skip without splitting them.
    if (text.startsWith('# ', lineStart) && text.charCodeAt(lineStart + 2) !== 0x50 /* P */) {
      readLine(text.slice(lineStart + 2, lineEnd).trimEnd(), readings);
    }
    lineStart = lineEnd + 1;
  }
  const seen = new Set(readings.map((r) => r.field));
  if (!seen.has('sys') || !seen.has('heapAlloc')) {
    throw new ScrapeError('bad_format', 'the runtime.MemStats section has no Sys or HeapAlloc line', { stage: 'heap?debug=1' });
  }
  return admitInto(readings, opts);
}

function readLine(line: string, out: Reading[]): void {
  const eq = line.indexOf(' = ');
  if (eq < 0) return;
  const name = line.slice(0, eq);
  const raw = line.slice(eq + 3);
  const single = MEMSTATS_FIELDS[name];
  if (single) {
    out.push({ field: single, name, raw, value: parseFloatStrict(raw) ?? NaN });
    return;
  }
  const pair = PAIRS[name];
  if (pair) {
    // "inuse / sys"; anything else makes both halves unreadable (NaN fails validation with the raw text shown).
    const m = /^(\S+) \/ (\S+)$/.exec(raw);
    out.push({ field: pair[0], name: `${name} (inuse)`, raw, value: m ? parseFloatStrict(m[1]!) ?? NaN : NaN });
    out.push({ field: pair[1], name: `${name} (sys)`, raw, value: m ? parseFloatStrict(m[2]!) ?? NaN : NaN });
  }
}
