/**
 * Profile arithmetic as pprof does it (google/pprof profile/merge.go, profile.go Scale/SetLabel,
 * CompatibilizeSampleTypes): a diff is the base scaled by -1, labelled pprof::base=true, merged
 * into the new profile. Pure: inputs are never modified.
 */
import type { Label, Location, Mapping, Profile, ProfileFunction, ProfileSample, ValueType } from './model.js';

export const BASE_LABEL = 'pprof::base';

function sameType(a: ValueType | null, b: ValueType | null): boolean {
  return (a?.type ?? '') === (b?.type ?? '') && (a?.unit ?? '') === (b?.unit ?? '');
}

function showTypes(types: ValueType[]): string {
  return '[' + types.map((t) => `${t.type}/${t.unit}`).join(' ') + ']';
}

/** profile.compatible: same period type and identical sample types. */
export function checkCompatible(a: Profile, b: Profile): void {
  if (!sameType(a.periodType, b.periodType)) {
    const show = (t: ValueType | null): string => (t ? `${t.type}/${t.unit}` : 'none');
    throw new Error(`merging profiles: incompatible period types ${show(a.periodType)} and ${show(b.periodType)}`);
  }
  if (a.sampleTypes.length !== b.sampleTypes.length || a.sampleTypes.some((t, i) => !sameType(t, b.sampleTypes[i]))) {
    throw new Error(`merging profiles: incompatible sample types ${showTypes(a.sampleTypes)} and ${showTypes(b.sampleTypes)}`);
  }
}

/**
 * profile.CompatibilizeSampleTypes (pprof >= Nov 2022): keep only the sample types common to all
 * profiles, in the first profile's order. Profiles that already agree are returned as they are.
 */
export function compatibilize(profiles: Profile[]): Profile[] {
  const key = (t: ValueType): string => `${t.type}\0${t.unit}`;
  const common = profiles[0].sampleTypes.filter((t) => profiles.every((p) => p.sampleTypes.some((u) => key(u) === key(t))));
  if (common.length === 0) throw new Error('merging profiles: profiles have empty common sample type list');
  return profiles.map((p) => {
    if (p.sampleTypes.length === common.length && p.sampleTypes.every((t, i) => key(t) === key(common[i]))) return p;
    const pick = common.map((t) => p.sampleTypes.findIndex((u) => key(u) === key(t)));
    const samples = p.samples.map((s) => ({ ...s, values: pick.map((i) => s.values[i]) }));
    return { ...p, sampleTypes: common.map((t) => ({ ...t })), samples };
  });
}

/** Profile.Scale: v = round(v * ratio); samples left all-zero are dropped. */
export function scaleProfile(p: Profile, ratio: number): Profile {
  if (ratio === 1) return p;
  const samples: ProfileSample[] = [];
  for (const s of p.samples) {
    const values = s.values.map((v) => Math.round(Math.abs(v * ratio)) * Math.sign(v * ratio) + 0);
    if (values.some((v) => v !== 0)) samples.push({ ...s, values });
  }
  return { ...p, samples };
}

/** Profile.SetLabel: every sample gets key=[value], replacing earlier string values of key. */
export function setLabel(p: Profile, key: string, value: string): Profile {
  const samples = p.samples.map((s) => ({
    ...s,
    labels: [...s.labels.filter((l) => l.key !== key || l.str === undefined), { key, str: value }],
  }));
  return { ...p, samples };
}

export function isDiffBaseSample(s: ProfileSample): boolean {
  return s.labels.some((l) => l.key === BASE_LABEL && l.str === 'true');
}

/** Sample.key() labels part: string labels and numeric labels grouped per key, order-insensitive across keys. */
export function labelKey(labels: Label[]): string {
  if (labels.length === 0) return '';
  const strs = new Map<string, string[]>();
  const nums = new Map<string, [number[], string[]]>();
  for (const l of labels) {
    if (l.str !== undefined) {
      const v = strs.get(l.key) ?? [];
      v.push(l.str);
      strs.set(l.key, v);
    } else {
      const v = nums.get(l.key) ?? [[], []];
      v[0].push(l.num ?? 0);
      v[1].push(l.numUnit ?? '');
      nums.set(l.key, v);
    }
  }
  const parts = [...strs].map((e) => JSON.stringify(e)).sort();
  const numParts = [...nums].map((e) => JSON.stringify(e)).sort();
  return parts.join('') + '\0' + numParts.join('');
}

function mappingKey(m: Mapping): string {
  const size = Math.ceil((m.limit - m.start) / 0x1000) * 0x1000;
  return `${size}\0${m.offset}\0${m.buildId !== '' ? m.buildId : m.file}`;
}

function functionKey(f: ProfileFunction): string {
  return `${f.startLine}\0${f.name}\0${f.systemName}\0${f.filename}`;
}

/** profile.Merge: rebuilds every entity, sums samples with equal keys, drops all-zero samples. */
export function mergeProfiles(srcs: Profile[]): Profile {
  if (srcs.length === 0) throw new Error('merging profiles: no profiles to merge');
  for (const s of srcs.slice(1)) checkCompatible(srcs[0], s);
  const out = combineHeaders(srcs);
  const mappings = new Map<string, Mapping>();
  const functions = new Map<string, ProfileFunction>();
  const locations = new Map<string, Location>();
  const samples = new Map<string, ProfileSample>();

  for (const src of srcs) {
    const mappingById = new Map<Mapping, { m: Mapping; offset: number }>();
    const functionById = new Map<ProfileFunction, ProfileFunction>();
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
      locationById.set(l, merged);
      return merged;
    };

    if (mappings.size === 0 && src.mappings.length > 0) mapMapping(src.mappings[0]);
    for (const s of src.samples) {
      if (s.values.every((v) => v === 0)) continue;
      const locs = s.locations.map(mapLocation);
      const k = locs.map((l) => l.id.toString(16)).join('|') + '\0' + labelKey(s.labels);
      const existing = samples.get(k);
      if (existing) {
        for (let i = 0; i < s.values.length; i++) existing.values[i] += s.values[i];
        continue;
      }
      const merged: ProfileSample = { locations: locs, values: [...s.values], labels: s.labels.map((l) => ({ ...l })) };
      samples.set(k, merged);
      out.samples.push(merged);
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

/**
 * The profile `go tool pprof -diff_base BASE NEXT` analyses: NEXT plus BASE scaled by -1 and
 * labelled pprof::base=true. Written out (encodeProfile), `go tool pprof -top` of it prints the
 * same rows and total as the -diff_base command line.
 */
export function diffProfile(base: Profile, next: Profile): Profile {
  const [n, b] = compatibilize([next, base]);
  return mergeProfiles([n, scaleProfile(setLabel(b, BASE_LABEL, 'true'), -1)]);
}
