/**
 * /debug/vars (go-formats §4.4). The memstats object is read straight from the raw text with a
 * small JSON scanner: numbers are parsed from their own digits (JSON.parse would first round
 * LastGC/PauseEnd-sized integers, and would build the 512-number PauseNs/PauseEnd and the 61-object
 * BySize arrays we throw away). The scanner checks the structure it walks; values it skips are
 * only bracket-matched. Every memstats value goes through the validation table (validate.ts). Pure.
 */
import type { Sample } from '../model/sample.js';
import { ScrapeError } from './errors.js';
import { parseFloatStrict } from './numbers.js';
import { MEMSTATS_FIELDS } from './memstats-fields.js';
import { admitInto, type ParseOptions, type Reading } from './validate.js';

export function parseExpvar(text: string, opts: ParseOptions = {}): Partial<Sample> {
  const s = new Scanner(text);
  s.ws();
  if (s.peek() !== 0x7b /* { */) throw s.fail('expected a JSON object');
  let readings: Reading[] | undefined;
  s.object((key) => {
    if (key === 'memstats') {
      if (s.peek() !== 0x7b) throw s.fail('"memstats" is not an object');
      readings = readMemstats(s);
    } else {
      s.skipValue();
    }
  });
  s.ws();
  if (!s.done()) throw s.fail('unexpected data after the JSON object');
  if (!readings) throw new ScrapeError('bad_format', 'no "memstats" in /debug/vars', { stage: 'expvar' });
  const seen = new Set(readings.map((r) => r.field));
  if (!seen.has('sys') || !seen.has('heapAlloc')) {
    throw new ScrapeError('bad_format', '"memstats" has no Sys or HeapAlloc', { stage: 'expvar' });
  }
  return admitInto(readings, opts);
}

function readMemstats(s: Scanner): Reading[] {
  const out: Reading[] = [];
  s.object((key) => {
    const field = MEMSTATS_FIELDS[key];
    if (!field) return s.skipValue();
    const raw = s.numberToken();
    const v = parseFloatStrict(raw);
    if (v === undefined) throw s.fail(`bad number for memstats.${key}`);
    out.push({ field, name: `memstats.${key}`, raw, value: v });
  });
  return out;
}

/**
 * Characters that neither open nor close anything, and the rest of a string after its opening
 * quote (escapes stepped over) through the closing one. Sticky: matched at lastIndex only. At a
 * one-second schedule the scanner passes ~5 KB of /debug/vars per service per second: a character
 * loop over it was ~7% of the daemon's CPU at 200 services, the regexp engine does it for a tenth.
 */
const PLAIN = /[^"{}[\]]*/y;
const STRING_REST = /[^"\\]*(?:\\[\s\S][^"\\]*)*"/y;

/** A forward-only JSON walker over a string; errors say where. */
class Scanner {
  private i = 0;

  constructor(private readonly text: string) {}

  peek(): number {
    return this.text.charCodeAt(this.i);
  }

  done(): boolean {
    return this.i >= this.text.length;
  }

  ws(): void {
    const t = this.text;
    let c = t.charCodeAt(this.i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(++this.i);
  }

  fail(what: string): ScrapeError {
    return new ScrapeError('bad_format', `invalid JSON at offset ${this.i}: ${what}`, { stage: 'expvar' });
  }

  /** Walks an object; `onKey` must consume the value. */
  object(onKey: (key: string) => void): void {
    this.expect(0x7b);
    this.ws();
    if (this.peek() === 0x7d) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      const key = this.string();
      this.ws();
      this.expect(0x3a /* : */);
      this.ws();
      onKey(key);
      this.ws();
      const c = this.peek();
      this.i++;
      if (c === 0x7d) return;
      if (c !== 0x2c) {
        this.i--;
        throw this.fail('expected "," or "}"');
      }
    }
  }

  string(): string {
    const t = this.text;
    this.expect(0x22);
    const start = this.i;
    STRING_REST.lastIndex = start;
    if (!STRING_REST.test(t)) {
      this.i = t.length;
      throw this.fail('unterminated string');
    }
    this.i = STRING_REST.lastIndex;
    const raw = t.slice(start, this.i - 1);
    if (!raw.includes('\\')) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      throw this.fail('bad string escape');
    }
  }

  numberToken(): string {
    const t = this.text;
    const start = this.i;
    let c = t.charCodeAt(this.i);
    // JSON number characters: - + . 0-9 e E
    while (c === 0x2d || c === 0x2b || c === 0x2e || (c >= 0x30 && c <= 0x39) || c === 0x65 || c === 0x45) {
      c = t.charCodeAt(++this.i);
    }
    if (this.i === start) throw this.fail('expected a number');
    return t.slice(start, this.i);
  }

  /**
   * Skips any value. Arrays and objects (BySize, PauseNs, user vars) are passed over by bracket
   * matching, string-aware but without parsing what is inside (plain runs by PLAIN).
   */
  skipValue(): void {
    const c = this.peek();
    if (c === 0x22) {
      this.string();
    } else if (c === 0x7b || c === 0x5b) {
      this.skipNested();
    } else if (this.text.startsWith('true', this.i)) {
      this.i += 4;
    } else if (this.text.startsWith('false', this.i)) {
      this.i += 5;
    } else if (this.text.startsWith('null', this.i)) {
      this.i += 4;
    } else {
      if (parseFloatStrict(this.numberToken()) === undefined) throw this.fail('bad number');
    }
  }

  private skipNested(): void {
    const t = this.text;
    const start = this.i;
    let depth = 0;
    let i = this.i;
    while (i < t.length) {
      // Runs of plain characters (PauseNs is 512 numbers) go by in the regexp engine, not here.
      PLAIN.lastIndex = i;
      PLAIN.test(t);
      i = PLAIN.lastIndex;
      if (i >= t.length) break;
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        STRING_REST.lastIndex = i + 1;
        if (!STRING_REST.test(t)) break;
        i = STRING_REST.lastIndex;
        continue;
      }
      if (c === 0x7b || c === 0x5b) {
        depth++;
      } else if (--depth === 0) {
        this.i = i + 1;
        return;
      }
      i++;
    }
    this.i = start;
    throw this.fail('unterminated array or object');
  }

  private expect(code: number): void {
    if (this.peek() !== code) throw this.fail(`expected "${String.fromCharCode(code)}"`);
    this.i++;
  }
}
