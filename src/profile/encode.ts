/**
 * encodeProfile: the resolved Profile model → gzip'd profile.proto that `go tool pprof` opens.
 * Used by `leakwatch diff -o` and to synthesise profiles in tests and benchmarks.
 *
 * Fields are written in numeric order, repeated scalars packed only when longer than 2 (as
 * google/pprof's encoder does). Ids from the model are kept when they are valid (nonzero and
 * unique per kind), otherwise every entity is renumbered 1..n, so hand-built models work too.
 */
import Long from 'long';
import { gzip } from 'pako';
import protobuf from 'protobufjs/minimal.js';
import type { Location, Mapping, Profile, ProfileFunction, ValueType } from './model.js';

type Writer = protobuf.Writer;

const VARINT = 0;
const LEN = 2;

class StringTable {
  readonly list: string[] = [''];
  private readonly index = new Map<string, number>([['', 0]]);
  id(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** Assigns wire ids: the model's own when valid, else 1..n in order. */
function assignIds<T extends { id: number }>(items: T[]): Map<T, number> {
  const ids = new Map<T, number>();
  const seen = new Set<number>();
  let valid = true;
  for (const it of items) {
    if (!Number.isSafeInteger(it.id) || it.id <= 0 || seen.has(it.id)) valid = false;
    seen.add(it.id);
  }
  items.forEach((it, i) => ids.set(it, valid ? it.id : i + 1));
  return ids;
}

/** Entities listed in the profile plus any referenced only from samples/locations. */
function collect(p: Profile): { mappings: Mapping[]; locations: Location[]; functions: ProfileFunction[] } {
  const locations = new Set<Location>(p.locations);
  for (const s of p.samples) for (const l of s.locations) locations.add(l);
  const mappings = new Set<Mapping>(p.mappings);
  const functions = new Set<ProfileFunction>(p.functions);
  for (const l of locations) {
    if (l.mapping) mappings.add(l.mapping);
    for (const ln of l.lines) functions.add(ln.function);
  }
  return { mappings: [...mappings], locations: [...locations], functions: [...functions] };
}

function varintField(w: Writer, field: number, v: number, signed = true): void {
  if (v === 0) return;
  w.uint32((field << 3) | VARINT);
  if (signed) w.int64(v);
  else w.uint64(v);
}

function repeatedField(w: Writer, field: number, vs: number[], signed: boolean): void {
  if (vs.length === 0) return;
  if (vs.length <= 2) {
    for (const v of vs) {
      w.uint32((field << 3) | VARINT);
      if (signed) w.int64(v);
      else w.uint64(v);
    }
    return;
  }
  w.uint32((field << 3) | LEN).fork();
  for (const v of vs) {
    if (signed) w.int64(v);
    else w.uint64(v);
  }
  w.ldelim();
}

function valueTypeField(w: Writer, field: number, v: ValueType, st: StringTable): void {
  w.uint32((field << 3) | LEN).fork();
  varintField(w, 1, st.id(v.type));
  varintField(w, 2, st.id(v.unit));
  w.ldelim();
}

/** Serialises p to uncompressed profile.proto bytes. */
export function encodeProfileProto(p: Profile): Uint8Array {
  const st = new StringTable();
  const all = collect(p);
  const mappingIds = assignIds(all.mappings);
  const locationIds = assignIds(all.locations);
  const functionIds = assignIds(all.functions);
  const w = protobuf.Writer.create();

  for (const t of p.sampleTypes) valueTypeField(w, 1, t, st);
  for (const s of p.samples) {
    w.uint32((2 << 3) | LEN).fork();
    repeatedField(w, 1, s.locations.map((l) => locationIds.get(l)!), false);
    repeatedField(w, 2, s.values, true);
    for (const l of s.labels) {
      w.uint32((3 << 3) | LEN).fork();
      varintField(w, 1, st.id(l.key));
      if (l.str !== undefined) varintField(w, 2, st.id(l.str));
      else {
        varintField(w, 3, l.num ?? 0);
        if (l.numUnit) varintField(w, 4, st.id(l.numUnit));
      }
      w.ldelim();
    }
    w.ldelim();
  }
  for (const m of all.mappings) {
    w.uint32((3 << 3) | LEN).fork();
    varintField(w, 1, mappingIds.get(m)!, false);
    varintField(w, 2, m.start, false);
    varintField(w, 3, m.limit, false);
    varintField(w, 4, m.offset, false);
    varintField(w, 5, st.id(m.file));
    varintField(w, 6, st.id(m.buildId));
    varintField(w, 7, m.hasFunctions ? 1 : 0, false);
    w.ldelim();
  }
  for (const l of all.locations) {
    w.uint32((4 << 3) | LEN).fork();
    varintField(w, 1, locationIds.get(l)!, false);
    varintField(w, 2, l.mapping ? mappingIds.get(l.mapping)! : 0, false);
    varintField(w, 3, l.address, false);
    for (const ln of l.lines) {
      w.uint32((4 << 3) | LEN).fork();
      varintField(w, 1, functionIds.get(ln.function)!, false);
      varintField(w, 2, ln.line);
      w.ldelim();
    }
    varintField(w, 5, l.isFolded ? 1 : 0, false);
    w.ldelim();
  }
  for (const f of all.functions) {
    w.uint32((5 << 3) | LEN).fork();
    varintField(w, 1, functionIds.get(f)!, false);
    varintField(w, 2, st.id(f.name));
    varintField(w, 3, st.id(f.systemName));
    varintField(w, 4, st.id(f.filename));
    varintField(w, 5, f.startLine);
    w.ldelim();
  }
  // Every string index must be known before the table is written, so intern these first.
  const dropFrames = st.id(p.dropFrames);
  const keepFrames = st.id(p.keepFrames);
  const periodType = p.periodType;
  if (periodType) {
    st.id(periodType.type);
    st.id(periodType.unit);
  }
  const comments = p.comments.map((c) => st.id(c));
  const defaultSampleType = st.id(p.defaultSampleType);
  for (const s of st.list) w.uint32((6 << 3) | LEN).string(s);

  varintField(w, 7, dropFrames);
  varintField(w, 8, keepFrames);
  if (p.timeNanos !== 0n) w.uint32((9 << 3) | VARINT).int64(Long.fromString(p.timeNanos.toString()));
  varintField(w, 10, p.durationNanos);
  if (periodType) valueTypeField(w, 11, periodType, st);
  varintField(w, 12, p.period);
  repeatedField(w, 13, comments, true);
  varintField(w, 14, defaultSampleType);
  return w.finish();
}

/** Serialises and gzips p, as net/http/pprof serves profiles (Go also uses BestSpeed). */
export function encodeProfile(p: Profile): Uint8Array {
  return gzip(encodeProfileProto(p), { level: 1 });
}
