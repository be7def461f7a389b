/**
 * Second decoding pass: Sample messages straight into columns (columns.ts), once the string
 * table and locations are resolved. Nearly all of a big profile is samples, and building objects
 * for them made decoding GC-bound, so a sample costs a few typed-array slots: its values, its
 * stack index and its label set index. Location ids are first read into a scratch buffer and a
 * stack seen before (decode-intern.ts) is stored once; so is a run of label bytes seen before.
 *
 * Label arrays are frozen and shared (a few of them serve every sample); the stacks' locations
 * arrays are shared too once built (columns.ts): treat both as read-only.
 */
import type { SampleColumns } from './columns.js';
import { HASH_SEED, mix, SpanTable, StackTable } from './decode-intern.js';
import { label } from './decode-labels.js';
import type { RawProfile } from './decode-wire.js';
import { closeLen, fail, malformed, openLen, skip, tag, varint, type Reader } from './wire.js';
import type { Label } from './model.js';

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
  /** Location id → 1 + its position in Profile.locations, 0 when unknown (Go numbers locations 1..n). */
  densePositions: Int32Array;
  /** The same for ids beyond densePositions, when there are any. */
  sparsePositions: Map<number, number> | null;
}

/** Decodes one sample at a time into the columns; the reader's pos is the cursor. */
class SampleDecoder {
  private readonly r: Reader;
  private readonly buf: Uint8Array;
  readonly stacks: StackTable;
  /** Label byte runs seen so far → their index in labelSets. */
  private readonly labelRuns: SpanTable<number>;
  readonly labelSets: Label[][] = [NO_LABELS];
  readonly values: Float64Array;
  /** The current sample's locations as positions in Profile.locations, and their hash. */
  private positions: Int32Array = new Int32Array(256);
  private depth = 0;
  /** The first location id of the current sample that the profile does not list, or -1. */
  private unknownId = -1;
  private hash = HASH_SEED;
  private nValues = 0;
  /** Index in labelSets of the current sample's labels. */
  private labels = 0;
  private sample = 0;

  constructor(
    p: RawProfile,
    private readonly ctx: SampleContext,
  ) {
    this.r = p.reader;
    this.buf = p.reader.buf;
    // A location id takes a byte or two, and a sample has values too: about a quarter of its bytes.
    this.stacks = new StackTable(p.sampleCount, p.sampleBytes / 4);
    this.labelRuns = new SpanTable(this.buf);
    this.values = new Float64Array(p.sampleCount * ctx.nTypes);
  }

  /** Decodes sample `sample`; returns its stack index and leaves its labels in `labels`. */
  decode(sample: number, start: number, end: number): number {
    const r = this.r;
    const buf = this.buf;
    this.sample = sample;
    this.depth = 0;
    this.hash = HASH_SEED;
    this.unknownId = -1;
    this.nValues = 0;
    this.labels = 0;
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
    const stack = this.stack();
    const nTypes = this.ctx.nTypes;
    if (this.nValues !== nTypes) malformed(`sample ${sample} has ${this.nValues} values vs. ${nTypes} sample types`);
    return stack;
  }

  get labelSet(): number {
    return this.labels;
  }

  /** A label array of its own for this sample (odd encodings only), appended to the current one. */
  private ownLabels(extra: Label[]): void {
    const merged = Object.freeze([...this.labelSets[this.labels], ...extra]) as Label[];
    this.labels = this.labelSets.length;
    this.labelSets.push(merged);
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
      const out: Label[] = [];
      label(r, wt, out, this.ctx.strings, this.sample);
      this.ownLabels(out);
    } else skip(r, t);
  }

  /** A packed run of location ids, read into the scratch buffer as positions. */
  private locationRun(wt: number): void {
    const r = this.r;
    const buf = this.buf;
    const end = openLen(r, wt, 'sample.location_id');
    const dense = this.ctx.densePositions;
    let positions: Int32Array = this.positions;
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
      let at = (id < dense.length ? dense[id] : this.sparsePosition(id)) - 1;
      if (at < 0) at = this.unknown(id);
      if (n === positions.length) positions = this.grow();
      positions[n++] = at;
      h = mix(h, at);
    }
    r.pos = pos;
    closeLen(r, end, 'sample.location_id');
    this.depth = n;
    this.hash = h;
  }

  /** One unpacked location id (Go writes stacks of one or two frames unpacked). */
  private addId(id: number): void {
    const dense = this.ctx.densePositions;
    let at = (id < dense.length ? dense[id] : this.sparsePosition(id)) - 1;
    if (at < 0) at = this.unknown(id);
    if (this.depth === this.positions.length) this.grow();
    this.positions[this.depth++] = at;
    this.hash = mix(this.hash, at);
  }

  private sparsePosition(id: number): number {
    return this.ctx.sparsePositions?.get(id) ?? 0;
  }

  /** Notes an id the profile does not list (the sample fails once read); a placeholder position. */
  private unknown(id: number): number {
    if (this.unknownId === -1) this.unknownId = id;
    return 0;
  }

  private grow(): Int32Array {
    const bigger = new Int32Array(2 * this.positions.length);
    bigger.set(this.positions);
    return (this.positions = bigger);
  }

  /** The sample's stack: an earlier sample's with the same locations, or a new one. */
  private stack(): number {
    if (this.unknownId !== -1) malformed(`sample ${this.sample} references unknown location id ${this.unknownId}`);
    const known = this.stacks.find(this.positions, this.depth, this.hash);
    return known >= 0 ? known : this.stacks.add(this.positions, this.depth, this.hash);
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

  /** Values go straight into the sample's row of exactly one slot per sample type; extras are only counted. */
  private addValue(v: number): void {
    const nTypes = this.ctx.nTypes;
    if (this.nValues < nTypes) this.values[this.sample * nTypes + this.nValues] = v;
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
    let set = this.labelRuns.get(start, end);
    if (set === undefined) {
      const out: Label[] = [];
      r.pos = start;
      while (r.pos < end) label(r, tag(r) & 7, out, this.ctx.strings, this.sample);
      set = out.length === 0 ? 0 : this.labelSets.push(Object.freeze(out) as Label[]) - 1;
      this.labelRuns.put(start, end, set);
    }
    r.pos = end;
    // A second, separate run of labels in one sample (never written by Go): a set of its own.
    if (this.labels === 0) this.labels = set;
    else if (set !== 0) this.ownLabels(this.labelSets[set]);
  }

  /** End offset of the label field whose tag is at pos, checked against the input. */
  private skipLabel(pos: number): number {
    const r = this.r;
    r.pos = pos + 1;
    return openLen(r, 2, 'sample.label');
  }
}

/** Decodes every Sample field of the message; pass one has checked all fields are well formed. */
export function decodeSamples(p: RawProfile, ctx: SampleContext): SampleColumns {
  const count = p.sampleCount;
  const stackOf = new Int32Array(count);
  const labelOf = new Int32Array(count);
  const decoder = new SampleDecoder(p, ctx);
  const r = p.reader;
  r.pos = p.firstSample;
  for (let i = 0; i < count; ) {
    const t = tag(r);
    if (t >>> 3 !== 2) {
      skip(r, t);
      continue;
    }
    const end = openLen(r, t & 7, 'sample');
    stackOf[i] = decoder.decode(i, r.pos, end);
    labelOf[i++] = decoder.labelSet;
  }
  const { stacks } = decoder;
  return {
    count,
    nTypes: ctx.nTypes,
    values: decoder.values,
    stackOf,
    stackCount: stacks.count,
    stackStart: stacks.starts(),
    stackLocs: stacks.positions(),
    labelOf,
    labelSets: decoder.labelSets,
  };
}
