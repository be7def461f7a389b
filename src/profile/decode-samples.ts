/**
 * Second decoding pass: Sample messages straight into model objects, once the string table and
 * locations are resolved. Nearly all of a big profile is samples, and most of the time spent
 * on them went to the GC copying what was built, so a sample allocates only what the model
 * keeps: the sample object and its values array, plus its locations array and labels array
 * unless an earlier sample had the same ones (decode-intern.ts). Location ids are first read
 * into a scratch buffer, so a repeated stack allocates nothing at all.
 *
 * Shared arrays are part of the model's contract: treat a sample's `locations` and `labels` as
 * read-only. Labels arrays are frozen (a few of them serve every sample); locations arrays are
 * not, because V8 iterates frozen arrays about 3× slower and every consumer walks the stacks.
 */
import { HASH_SEED, mix, SpanTable, StackTable } from './decode-intern.js';
import { closeLen, fail, openLen, scalar, skip, tag, varint, type RawProfile, type Reader } from './decode-wire.js';
import type { Label, Location, ProfileSample } from './model.js';

// Single-byte tags of Sample's fields as Go writes them: field number << 3 | wire type.
const LOCATION_ID = (1 << 3) | 0;
const LOCATION_IDS = (1 << 3) | 2;
const VALUE = (2 << 3) | 0;
const VALUES = (2 << 3) | 2;
const LABEL = (3 << 3) | 2;

const NO_LABELS: Label[] = Object.freeze([]) as unknown as Label[];

export interface SampleContext {
  nTypes: number;
  strings: string[];
  /** Dense id → Location table (Go numbers locations 1..n); `byId` covers sparse ids. */
  table: (Location | undefined)[];
  byId: (id: number) => Location | undefined;
}

function malformed(what: string): never {
  throw new Error(`malformed profile: ${what}`);
}

/** A location id as a 32-bit hash word: ids beyond 2^32 (rare) fold their high word in. */
function idWord(id: number): number {
  return id > 0xffffffff ? (id | 0) ^ Math.floor(id / 0x100000000) : id | 0;
}

function labelString(strings: string[], i: number, sample: number): string {
  if (i >= 0 && i < strings.length) return strings[i];
  return malformed(`sample ${sample} label: string index ${i} out of range (string_table has ${strings.length} entries)`);
}

/** pprof's label rule: str set → string label; else num or unit set → numeric; else dropped. */
function label(r: Reader, wt: number, out: Label[], strings: string[], sample: number): void {
  const end = openLen(r, wt, 'sample.label');
  let key = 0, str = 0, num = 0, numUnit = 0;
  while (r.pos < end) {
    const t = tag(r);
    const f = t >>> 3;
    if (f === 1) key = scalar(r, t & 7, true, 'label.key');
    else if (f === 2) str = scalar(r, t & 7, true, 'label.str');
    else if (f === 3) num = scalar(r, t & 7, true, 'label.num');
    else if (f === 4) numUnit = scalar(r, t & 7, true, 'label.num_unit');
    else skip(r, t);
  }
  closeLen(r, end, 'sample.label');
  const k = labelString(strings, key, sample);
  if (str !== 0) out.push(Object.freeze({ key: k, str: labelString(strings, str, sample) }));
  else if (num !== 0 || numUnit !== 0) {
    const unit = labelString(strings, numUnit, sample);
    out.push(Object.freeze(unit === '' ? { key: k, num } : { key: k, num, numUnit: unit }));
  }
}

/** Decodes one sample at a time into reused scratch state; the reader's pos is the cursor. */
class SampleDecoder {
  private readonly r: Reader;
  private readonly buf: Uint8Array;
  private readonly stacks: StackTable<Location>;
  private readonly labelSets: SpanTable<Label[]>;
  /** Location ids of the current sample (a plain array: small ids stay Smis), and their hash. */
  private ids: number[] = new Array<number>(256).fill(0);
  private depth = 0;
  private hash = HASH_SEED;
  private values: number[] | null = null;
  private nValues = 0;
  private labels = NO_LABELS;
  private sample = 0;

  constructor(
    p: RawProfile,
    private readonly ctx: SampleContext,
    /** The samples decoded so far, where earlier stacks are found. */
    private readonly samples: readonly ProfileSample[],
  ) {
    this.r = p.reader;
    this.buf = p.reader.buf;
    this.stacks = new StackTable(p.sampleCount);
    this.labelSets = new SpanTable(this.buf);
  }

  decode(sample: number, start: number, end: number): ProfileSample {
    const r = this.r;
    const buf = this.buf;
    this.sample = sample;
    this.depth = 0;
    this.hash = HASH_SEED;
    this.values = null;
    this.nValues = 0;
    this.labels = NO_LABELS;
    r.pos = start;
    while (r.pos < end) {
      // Go writes every Sample field with a one-byte tag; other() covers any other encoding.
      const b = buf[r.pos++];
      if (b === LOCATION_IDS) this.locationRun(2);
      else if (b === LOCATION_ID) this.addId(varint(r, false));
      else if (b === VALUES) this.valueRun(2);
      else if (b === VALUE) this.addValue(varint(r, true));
      else if (b === LABEL) this.labelGroup(end);
      else {
        r.pos--;
        this.other(tag(r));
      }
    }
    if (r.pos !== end) fail(r, 'sample overruns its length');
    const locations = this.stack();
    const nTypes = this.ctx.nTypes;
    // Set by addValue(); TypeScript still narrows the field to the null assigned above.
    const values = this.values as number[] | null;
    if (values === null || this.nValues !== nTypes) {
      malformed(`sample ${sample} has ${this.nValues} values vs. ${nTypes} sample types`);
    }
    return { locations, values, labels: this.labels };
  }

  /** A field whose tag is not one of the usual one-byte ones: odd encodings, unknown fields. */
  private other(t: number): void {
    const r = this.r;
    const f = t >>> 3;
    const wt = t & 7;
    // Known fields with a wrong wire type fail in openLen: "… has wire type N, want 2".
    if (f === 1) {
      if (wt === 0) this.addId(varint(r, false));
      else this.locationRun(wt);
    } else if (f === 2) {
      if (wt === 0) this.addValue(varint(r, true));
      else this.valueRun(wt);
    } else if (f === 3) {
      const out = [...this.labels];
      label(r, wt, out, this.ctx.strings, this.sample);
      this.labels = Object.freeze(out) as Label[];
    } else skip(r, t);
  }

  /** A packed run of location ids, read into the scratch buffer. */
  private locationRun(wt: number): void {
    const r = this.r;
    const buf = this.buf;
    const end = openLen(r, wt, 'sample.location_id');
    const ids = this.ids;
    let n = this.depth;
    let h = this.hash;
    let pos = r.pos;
    while (pos < end) {
      // Inline fast path for ids below 2^14 (one or two bytes), the common case.
      const b0 = buf[pos];
      let id: number;
      if (b0 < 0x80) {
        id = b0;
        pos += 1;
      } else if (pos + 1 < end && buf[pos + 1] < 0x80) {
        id = (b0 & 0x7f) | (buf[pos + 1] << 7);
        pos += 2;
      } else {
        r.pos = pos;
        id = varint(r, false);
        pos = r.pos;
      }
      if (n < ids.length) ids[n] = id;
      else ids.push(id);
      n++;
      h = mix(h, idWord(id));
    }
    r.pos = pos;
    closeLen(r, end, 'sample.location_id');
    this.depth = n;
    this.hash = h;
  }

  /** One unpacked location id (Go writes stacks of one or two frames unpacked). */
  private addId(id: number): void {
    if (this.depth < this.ids.length) this.ids[this.depth] = id;
    else this.ids.push(id);
    this.depth++;
    this.hash = mix(this.hash, idWord(id));
  }

  /** The sample's locations: the array of an earlier sample with the same stack, or a new one. */
  private stack(): Location[] {
    const ids = this.ids;
    const n = this.depth;
    const known = this.stacks.find(ids, n, this.hash, this.samples);
    if (known !== undefined) return known;
    const table = this.ctx.table;
    const stack = new Array<Location>(n);
    for (let k = 0; k < n; k++) {
      const id = ids[k];
      const loc = id < table.length ? table[id] : undefined;
      stack[k] = loc ?? this.location(id);
    }
    this.stacks.add(this.hash, this.sample);
    return stack;
  }

  private location(id: number): Location {
    const loc = this.ctx.byId(id);
    if (loc === undefined) malformed(`sample ${this.sample} references unknown location id ${id}`);
    return loc;
  }

  /** A packed run of values; values below 2^28 (four bytes) are read inline. */
  private valueRun(wt: number): void {
    const r = this.r;
    const buf = this.buf;
    const end = openLen(r, wt, 'sample.value');
    let pos = r.pos;
    while (pos < end) {
      let v = 0;
      let shift = 0;
      let b = 0x80;
      for (let i = pos; i < end && shift < 28; i++, shift += 7) {
        b = buf[i];
        v |= (b & 0x7f) << shift;
        if (b < 0x80) {
          pos = i + 1;
          break;
        }
      }
      if (b >= 0x80) {
        r.pos = pos;
        v = varint(r, true);
        pos = r.pos;
      }
      this.addValue(v);
    }
    r.pos = pos;
    closeLen(r, end, 'sample.value');
  }

  /** Values go straight into an array of exactly one slot per sample type; extras are only counted. */
  private addValue(v: number): void {
    const nTypes = this.ctx.nTypes;
    this.values ??= new Array<number>(nTypes);
    if (this.nValues < nTypes) this.values[this.nValues] = v;
    this.nValues++;
  }

  /**
   * A run of consecutive label fields (Go writes them last, together): looked up by its bytes,
   * decoded only the first time they are seen.
   */
  private labelGroup(sampleEnd: number): void {
    const r = this.r;
    const buf = this.buf;
    const start = r.pos - 1;
    let end = this.skipLabel(start);
    while (end < sampleEnd && buf[end] === LABEL) end = this.skipLabel(end);
    let labels = this.labelSets.get(start, end);
    if (labels === undefined) {
      const out: Label[] = [];
      r.pos = start;
      while (r.pos < end) label(r, tag(r) & 7, out, this.ctx.strings, this.sample);
      labels = out.length === 0 ? NO_LABELS : (Object.freeze(out) as Label[]);
      this.labelSets.put(start, end, labels);
    }
    r.pos = end;
    // A second, separate run of labels in one sample (never written by Go): append to a copy.
    this.labels = this.labels.length === 0 ? labels : (Object.freeze([...this.labels, ...labels]) as Label[]);
  }

  /** End offset of the label field whose tag is at pos, checked against the input. */
  private skipLabel(pos: number): number {
    const r = this.r;
    r.pos = pos + 1;
    return openLen(r, 2, 'sample.label');
  }
}

export function decodeSamples(p: RawProfile, ctx: SampleContext): ProfileSample[] {
  const spans = p.sampleSpans;
  const samples: ProfileSample[] = new Array(p.sampleCount);
  const decoder = new SampleDecoder(p, ctx, samples);
  for (let i = 0; i < p.sampleCount; i++) samples[i] = decoder.decode(i, spans[2 * i], spans[2 * i + 1]);
  return samples;
}
