/**
 * Pass two of checkProfile (check.ts): every Sample field, read as decode-samples.ts (with
 * decode-labels.ts) reads them, counting values and looking location ids up instead of building
 * columns. IdSet holds ids by decode.ts's indexById rules.
 */
import { closeLen, fail, malformed, openLen, skip, tag, varint, type NumBuffer, type Reader } from './wire.js';
import { readLabel, type LabelFields } from './decode-labels.js';

// One-byte tags of Sample's fields as Go writes them (as decode-samples.ts).
const LOCATION_ID = (1 << 3) | 0;
const LOCATION_IDS = (1 << 3) | 2;
const VALUE = (2 << 3) | 0;
const VALUES = (2 << 3) | 2;
const LABEL = (3 << 3) | 2;

/** Membership of ids (decode.ts's indexById rules: no id 0, no id twice); dense bitmap or sorted list. */
export class IdSet {
  private readonly dense: Uint8Array | null;
  private readonly sorted: Float64Array;

  constructor(ids: NumBuffer, kind: string) {
    const list = ids.data.subarray(0, ids.length);
    let max = 0;
    for (const id of list) {
      if (id === 0) malformed(`${kind} with reserved id 0`);
      if (id > max) max = id;
    }
    this.sorted = new Float64Array(0);
    if (max <= 2 * list.length + 1024) {
      this.dense = new Uint8Array(max + 1);
      for (const id of list) {
        if (this.dense[id]) malformed(`multiple ${kind}s with id ${id}`);
        this.dense[id] = 1;
      }
      return;
    }
    this.dense = null;
    this.sorted = Float64Array.from(list).sort();
    for (let i = 1; i < this.sorted.length; i++) if (this.sorted[i] === this.sorted[i - 1]) malformed(`multiple ${kind}s with id ${this.sorted[i]}`);
  }

  has(id: number): boolean {
    if (this.dense) return id < this.dense.length && this.dense[id] === 1;
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.sorted.length && this.sorted[lo] === id;
  }
}

/** Pass two, over the Sample fields, as decode-samples.ts (with decode-labels.ts) reads them. */
export class SampleCheck {
  private nValues = 0;
  private unknownId = -1;
  private sample = 0;

  private readonly fields: LabelFields = { key: 0, str: 0, num: 0, numUnit: 0 };

  constructor(
    private readonly r: Reader,
    private readonly nTypes: number,
    private readonly nStrings: number,
    private readonly locations: IdSet,
  ) {}

  check(sample: number, start: number, end: number): void {
    const r = this.r;
    const buf = r.buf;
    this.sample = sample;
    this.nValues = 0;
    this.unknownId = -1;
    r.pos = start;
    while (r.pos < end) {
      const b = buf[r.pos++];
      if (b === LOCATION_IDS) this.locationRun(2);
      else if (b === LOCATION_ID) this.id(varint(r, false));
      else if (b === VALUES) this.valueRun(2);
      else if (b === VALUE) this.value(varint(r, true));
      else if (b === LABEL) this.labelGroup(end);
      else {
        r.pos--;
        this.other(tag(r));
      }
    }
    if (r.pos !== end) fail(r, 'sample overruns its length');
    if (this.unknownId !== -1) malformed(`sample ${sample} references unknown location id ${this.unknownId}`);
    if (this.nValues !== this.nTypes) malformed(`sample ${sample} has ${this.nValues} values vs. ${this.nTypes} sample types`);
  }

  private other(t: number): void {
    const r = this.r;
    const f = t >>> 3;
    const wt = t & 7;
    if (f === 1) {
      if (wt === 0) this.id(varint(r, false));
      else this.locationRun(wt);
    } else if (f === 2) {
      if (wt === 0) this.value(varint(r, true));
      else this.valueRun(wt);
    } else if (f === 3) this.label(wt);
    else skip(r, t);
  }

  private id(id: number): void {
    if (this.unknownId === -1 && !this.locations.has(id)) this.unknownId = id;
  }

  private value(_v: number): void {
    this.nValues++;
  }

  private locationRun(wt: number): void {
    const r = this.r;
    const end = openLen(r, wt, 'sample.location_id');
    while (r.pos < end) this.id(varint(r, false));
    closeLen(r, end, 'sample.location_id');
  }

  private valueRun(wt: number): void {
    const r = this.r;
    const end = openLen(r, wt, 'sample.value');
    while (r.pos < end) this.value(varint(r, true));
    closeLen(r, end, 'sample.value');
  }

  /** A run of consecutive label fields: every one's extent first, then each label (decode-samples.ts). */
  private labelGroup(sampleEnd: number): void {
    const r = this.r;
    const buf = r.buf;
    const start = r.pos - 1;
    let end = this.skipLabel(start);
    while (end < sampleEnd && buf[end] === LABEL) end = this.skipLabel(end);
    r.pos = start;
    while (r.pos < end) this.label(tag(r) & 7);
    r.pos = end;
  }

  private skipLabel(pos: number): number {
    this.r.pos = pos + 1;
    return openLen(this.r, 2, 'sample.label');
  }

  /** pprof's label rule (decode-labels.ts): the key's string index always, then str's or num_unit's. */
  private label(wt: number): void {
    const f = this.fields;
    readLabel(this.r, wt, f);
    const { key, str, num, numUnit } = f;
    this.labelString(key);
    if (str !== 0) this.labelString(str);
    else if (num !== 0 || numUnit !== 0) this.labelString(numUnit);
  }

  private labelString(i: number): void {
    if (i < 0 || i >= this.nStrings) malformed(`sample ${this.sample} label: string index ${i} out of range (string_table has ${this.nStrings} entries)`);
  }
}
