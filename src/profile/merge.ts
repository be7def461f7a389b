/**
 * profile.Merge (google/pprof profile/merge.go): rebuilds mappings, functions and locations under
 * their merge keys and sums samples with equal keys. Pure: inputs are never modified.
 */
import type { Label, Location, Mapping, Profile, ProfileFunction, ProfileSample, ValueType } from './model.js';
import { ProfileError } from './errors.js';

function sameType(a: ValueType | null, b: ValueType | null): boolean {
  return (a?.type ?? '') === (b?.type ?? '') && (a?.unit ?? '') === (b?.unit ?? '');
}

function showTypes(types: ValueType[]): string {
  return '[' + types.map((t) => `${t.type}/${t.unit}`).join(' ') + ']';
}

/** profile.compatible: same period type and identical sample types. */
function checkCompatible(a: Profile, b: Profile): void {
  if (!sameType(a.periodType, b.periodType)) {
    const show = (t: ValueType | null): string => (t ? `${t.type}/${t.unit}` : 'none');
    throw new ProfileError('merge', 'incompatible', `incompatible period types ${show(a.periodType)} and ${show(b.periodType)}`);
  }
  if (a.sampleTypes.length !== b.sampleTypes.length || a.sampleTypes.some((t, i) => !sameType(t, b.sampleTypes[i]))) {
    throw new ProfileError('merge', 'incompatible', `incompatible sample types ${showTypes(a.sampleTypes)} and ${showTypes(b.sampleTypes)}`);
  }
}

/** int64(math.Round(v * ratio)): half away from zero, never -0. */
function scaled(v: number, ratio: number): number {
  const x = v * ratio;
  return (x < 0 ? -Math.round(-x) : Math.round(x)) + 0;
}

/** Sample labels after Profile.SetLabel(key, [value]): earlier string values of key are replaced. */
function withLabel(labels: Label[], key: string, value: string): Label[] {
  const out: Label[] = [];
  for (const l of labels) if (l.key !== key || l.str === undefined) out.push(l);
  out.push({ key, str: value });
  return out;
}

function labelPart(l: Label): string {
  return l.str !== undefined ? `s${l.key}\u0002${l.str}` : `n${l.key}\u0002${l.num ?? 0}\u0002${l.numUnit ?? ''}`;
}

/**
 * Sample.key() labels part. pprof keeps string and numeric labels in maps of key → values (in
 * order), so the key ignores the order across keys but not within one key.
 */
function labelKey(labels: Label[]): string {
  const n = labels.length;
  if (n === 0) return '';
  if (n === 1) return labelPart(labels[0]);
  if (n === 2) {
    const [a, b] = [labelPart(labels[0]), labelPart(labels[1])];
    const sameKey = labels[0].key === labels[1].key && (labels[0].str === undefined) === (labels[1].str === undefined);
    if (sameKey) return a + '\u0003' + b;
    return a < b ? a + '\u0001' + b : b + '\u0001' + a;
  }
  const parts = labels.map(labelPart);
  const kinds = labels.map((l) => (l.str !== undefined ? 's' : 'n') + l.key);
  if (new Set(kinds).size === n) return parts.sort().join('\u0001');
  // Repeated keys: group the values per key, keeping their order.
  const groups = new Map<string, string[]>();
  labels.forEach((l, i) => {
    const g = groups.get(kinds[i]);
    if (g) g.push(parts[i]);
    else groups.set(kinds[i], [parts[i]]);
  });
  return [...groups.values()].map((g) => g.join('\u0003')).sort().join('\u0001');
}

function mappingKey(m: Mapping): string {
  const size = Math.ceil((m.limit - m.start) / 0x1000) * 0x1000;
  return `${size}\0${m.offset}\0${m.buildId !== '' ? m.buildId : m.file}`;
}

function functionKey(f: ProfileFunction): string {
  return `${f.startLine}\0${f.name}\0${f.systemName}\0${f.filename}`;
}

/** Merged samples keyed by (location ids, label set), hashed without building key strings. */
class SampleIndex {
  private buckets = new Int32Array(1 << 12).fill(-1);
  private readonly labelSets: number[] = [];
  private readonly hashes: number[] = [];

  /** The keys are the merged samples' own location ids: nothing is copied. */
  constructor(private readonly samples: ProfileSample[]) {}

  private static hash(ids: Int32Array, n: number, labelSet: number): number {
    let h = Math.imul(labelSet + 1, 0x9e3779b1);
    for (let i = 0; i < n; i++) h = Math.imul(h ^ ids[i], 0x01000193) ^ (h >>> 15);
    return h >>> 0;
  }

  private slot(ids: Int32Array | null, n: number, labelSet: number, h: number): number {
    const mask = this.buckets.length - 1;
    for (let b = h & mask; ; b = (b + 1) & mask) {
      const e = this.buckets[b];
      if (e === -1) return b;
      if (ids === null || this.hashes[e] !== h || this.labelSets[e] !== labelSet) continue;
      const locs = this.samples[e].locations;
      if (locs.length !== n) continue;
      let same = true;
      for (let i = 0; i < n && same; i++) same = locs[i].id === ids[i];
      if (same) return b;
    }
  }

  /** Index of the sample with this key, or -1. */
  find(ids: Int32Array, n: number, labelSet: number): number {
    return this.buckets[this.slot(ids, n, labelSet, SampleIndex.hash(ids, n, labelSet))];
  }

  /** Registers samples[this.size] under this key (not present yet). */
  add(ids: Int32Array, n: number, labelSet: number): void {
    const h = SampleIndex.hash(ids, n, labelSet);
    this.buckets[this.slot(null, n, labelSet, h)] = this.hashes.length;
    this.labelSets.push(labelSet);
    this.hashes.push(h);
    if (this.hashes.length * 2 > this.buckets.length) {
      this.buckets = new Int32Array(this.buckets.length * 2).fill(-1);
      for (let e = 0; e < this.hashes.length; e++) this.buckets[this.slot(null, 0, 0, this.hashes[e])] = e;
    }
  }
}

/** One input of a merge, optionally labelled (SetLabel) and then scaled (Scale) on the way in. */
export interface MergeSource {
  profile: Profile;
  ratio?: number;
  label?: { key: string; value: string };
}

/** profile.Merge: rebuilds every entity, sums samples with equal keys, drops all-zero samples. */
export function mergeProfiles(srcs: Profile[]): Profile {
  return mergeSources(srcs.map((profile) => ({ profile })));
}

/** mergeProfiles with SetLabel/Scale applied per source, without copying the inputs first. */
export function mergeSources(srcs: MergeSource[]): Profile {
  if (srcs.length === 0) throw new ProfileError('merge', 'incompatible', 'no profiles to merge');
  const profiles = srcs.map((s) => s.profile);
  for (const p of profiles.slice(1)) checkCompatible(profiles[0], p);
  const out = combineHeaders(profiles);
  const mappings = new Map<string, Mapping>();
  const functions = new Map<string, ProfileFunction>();
  const locations = new Map<string, Location>();
  const samples = new SampleIndex(out.samples);
  const labelSets = new Map<string, number>();
  let ids = new Int32Array(64);

  for (const { profile: src, ratio = 1, label } of srcs) {
    const mappingById = new Map<Mapping, { m: Mapping; offset: number }>();
    const functionById = new Map<ProfileFunction, ProfileFunction>();
    // Source location id → merged location, checked against the source object (ids may repeat across profiles).
    const srcById: Location[] = [];
    const mergedById: Location[] = [];
    const locationById = new Map<Location, Location>();

    const mapMapping = (m: Mapping | null): { m: Mapping | null; offset: number } => {
      if (m === null) return { m: null, offset: 0 };
      const known = mappingById.get(m);
      if (known) return known;
      const k = mappingKey(m);
      const existing = mappings.get(k);
      if (existing) {
        const mi = { m: existing, offset: existing.start - m.start };
        mappingById.set(m, mi);
        return mi;
      }
      const merged: Mapping = { ...m, id: out.mappings.length + 1 };
      out.mappings.push(merged);
      mappings.set(k, merged);
      const mi = { m: merged, offset: 0 };
      mappingById.set(m, mi);
      return mi;
    };
    const mapFunction = (f: ProfileFunction): ProfileFunction => {
      let merged = functionById.get(f);
      if (merged) return merged;
      const k = functionKey(f);
      merged = functions.get(k);
      if (!merged) {
        merged = { ...f, id: out.functions.length + 1 };
        functions.set(k, merged);
        out.functions.push(merged);
      }
      functionById.set(f, merged);
      return merged;
    };
    const mapLocation = (l: Location): Location => {
      if (srcById[l.id] === l) return mergedById[l.id];
      const known = locationById.get(l);
      if (known) return known;
      const mi = mapMapping(l.mapping);
      const lines = l.lines.map((ln) => ({ function: mapFunction(ln.function), line: ln.line }));
      const address = l.address + mi.offset;
      const k =
        `${address - (mi.m?.start ?? 0)}\0${mi.m?.id ?? 0}\0${l.isFolded ? 1 : 0}\0` +
        lines.map((ln) => `${ln.function.id}|${ln.line}`).join('|');
      let merged = locations.get(k);
      if (!merged) {
        merged = { id: out.locations.length + 1, mapping: mi.m, address, lines, isFolded: l.isFolded };
        locations.set(k, merged);
        out.locations.push(merged);
      }
      if (Number.isSafeInteger(l.id) && l.id >= 0 && l.id <= 4 * src.locations.length + 1024 && srcById[l.id] === undefined) {
        srcById[l.id] = l;
        mergedById[l.id] = merged;
      } else {
        locationById.set(l, merged);
      }
      return merged;
    };

    if (mappings.size === 0 && src.mappings.length > 0) mapMapping(src.mappings[0]);
    for (const s of src.samples) {
      const values = ratio === 1 ? s.values : s.values.map((v) => scaled(v, ratio));
      let zero = true;
      for (const v of values) if (v !== 0) zero = false;
      if (zero) continue;
      const labels = label ? withLabel(s.labels, label.key, label.value) : s.labels;
      const labelString = labelKey(labels);
      let labelSet = labelSets.get(labelString);
      if (labelSet === undefined) {
        labelSet = labelSets.size;
        labelSets.set(labelString, labelSet);
      }
      const n = s.locations.length;
      if (n > ids.length) ids = new Int32Array(n * 2);
      for (let i = 0; i < n; i++) ids[i] = mapLocation(s.locations[i]).id;
      const existing = samples.find(ids, n, labelSet);
      if (existing >= 0) {
        const sum = out.samples[existing].values;
        for (let i = 0; i < values.length; i++) sum[i] += values[i];
        continue;
      }
      const locs = new Array<Location>(n);
      for (let i = 0; i < n; i++) locs[i] = out.locations[ids[i] - 1];
      out.samples.push({ locations: locs, values: [...values], labels: label ? labels : [...labels] });
      samples.add(ids, n, labelSet);
    }
  }
  // Like pprof, a merge that cancelled samples to zero is merged again, which also drops the
  // locations, functions and mappings only they used.
  if (out.samples.some((s) => s.values.every((v) => v === 0))) return mergeProfiles([out]);
  return out;
}

/** profile.combineHeaders: types from the first profile, min time, summed duration, max period, union of comments. */
function combineHeaders(srcs: Profile[]): Profile {
  let timeNanos = 0n;
  let durationNanos = 0;
  let period = 0;
  const comments: string[] = [];
  let defaultSampleType = '';
  for (const s of srcs) {
    if (timeNanos === 0n || s.timeNanos < timeNanos) timeNanos = s.timeNanos;
    durationNanos += s.durationNanos;
    if (period === 0 || period < s.period) period = s.period;
    for (const c of s.comments) if (!comments.includes(c)) comments.push(c);
    if (defaultSampleType === '') defaultSampleType = s.defaultSampleType;
  }
  const first = srcs[0];
  return {
    sampleTypes: first.sampleTypes.map((t) => ({ ...t })),
    defaultSampleType,
    periodType: first.periodType ? { ...first.periodType } : null,
    period,
    timeNanos,
    durationNanos,
    comments,
    dropFrames: first.dropFrames,
    keepFrames: first.keepFrames,
    mappings: [],
    locations: [],
    functions: [],
    samples: [],
  };
}

