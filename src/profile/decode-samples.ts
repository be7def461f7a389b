/**
 * Second decoding pass: Sample messages straight into model objects, once the string table and
 * locations are resolved. Each sample costs exactly the objects the model holds (the sample,
 * its locations array, values array, labels array and labels), nothing thrown away.
 */
import { closeLen, fail, openLen, scalar, skip, tag, varint, type RawProfile, type Reader } from './decode-wire.js';
import type { Label, Location, ProfileSample } from './model.js';

const VARINT = 0;

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

function location(ctx: SampleContext, id: number, sample: number): Location {
  const loc = id < ctx.table.length ? ctx.table[id] : ctx.byId(id);
  if (loc === undefined) malformed(`sample ${sample} references unknown location id ${id}`);
  return loc;
}

/** Number of varints in a packed run: one terminating byte (< 0x80) each. */
function countVarints(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (buf[i] < 0x80) n++;
  return n;
}

function locations(r: Reader, wt: number, out: Location[] | null, ctx: SampleContext, sample: number): Location[] {
  if (wt === VARINT) {
    const loc = location(ctx, varint(r, false), sample);
    if (out === null) return [loc];
    out.push(loc);
    return out;
  }
  const end = openLen(r, wt, 'sample.location_id');
  let locs = out;
  if (locs === null) {
    // The usual case: one packed run, so the array is allocated at its exact size.
    locs = new Array<Location>(countVarints(r.buf, r.pos, end));
    const buf = r.buf;
    const table = ctx.table;
    for (let i = 0; i < locs.length; i++) {
      // Inline fast path for ids below 2^14 (two bytes), the common case; varint() otherwise.
      const pos = r.pos;
      const b0 = buf[pos];
      let id: number;
      if (b0 < 0x80) {
        id = b0;
        r.pos = pos + 1;
      } else if (pos + 1 < end && buf[pos + 1] < 0x80) {
        id = (b0 & 0x7f) | (buf[pos + 1] << 7);
        r.pos = pos + 2;
      } else id = varint(r, false);
      const loc = id < table.length ? table[id] : undefined;
      locs[i] = loc ?? location(ctx, id, sample);
    }
  } else {
    while (r.pos < end) locs.push(location(ctx, varint(r, false), sample));
  }
  closeLen(r, end, 'sample.location_id');
  return locs;
}

function values(r: Reader, wt: number, out: number[] | null): number[] {
  if (wt === VARINT) {
    const v = varint(r, true);
    if (out === null) return [v];
    out.push(v);
    return out;
  }
  const end = openLen(r, wt, 'sample.value');
  let vs = out;
  if (vs === null) {
    vs = new Array<number>(countVarints(r.buf, r.pos, end));
    for (let i = 0; i < vs.length; i++) vs[i] = varint(r, true);
  } else {
    while (r.pos < end) vs.push(varint(r, true));
  }
  closeLen(r, end, 'sample.value');
  return vs;
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
  if (str !== 0) out.push({ key: k, str: labelString(strings, str, sample) });
  else if (num !== 0 || numUnit !== 0) {
    const unit = labelString(strings, numUnit, sample);
    out.push(unit === '' ? { key: k, num } : { key: k, num, numUnit: unit });
  }
}

export function decodeSamples(p: RawProfile, ctx: SampleContext): ProfileSample[] {
  const r = p.reader;
  const spans = p.sampleSpans;
  const samples: ProfileSample[] = new Array(p.sampleCount);
  for (let i = 0; i < p.sampleCount; i++) {
    r.pos = spans[2 * i];
    const end = spans[2 * i + 1];
    let locs: Location[] | null = null;
    let vs: number[] | null = null;
    const labels: Label[] = [];
    while (r.pos < end) {
      const t = tag(r);
      const f = t >>> 3;
      if (f === 1) locs = locations(r, t & 7, locs, ctx, i);
      else if (f === 2) vs = values(r, t & 7, vs);
      else if (f === 3) label(r, t & 7, labels, ctx.strings, i);
      else skip(r, t);
    }
    if (r.pos !== end) fail(r, 'sample overruns its length');
    vs ??= [];
    if (vs.length !== ctx.nTypes) malformed(`sample ${i} has ${vs.length} values vs. ${ctx.nTypes} sample types`);
    samples[i] = { locations: locs ?? [], values: vs, labels };
  }
  return samples;
}
