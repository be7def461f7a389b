/**
 * A differential oracle for the hand-written decoder: every pprof fixture decoded a second time
 * by protobufjs reflection from src/profile/profile.proto (the schema, not our reader), resolved
 * with pprof's rules, must give the same profile field for field. Our decoder stays hand-written
 * for speed (the decode row of `npm run bench`); this keeps it honest against the schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeProfile } from '../../src/profile/decode.js';
import type { Profile } from '../../src/profile/model.js';

const PROTO = fileURLToPath(new URL('../../src/profile/profile.proto', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/pprof/', import.meta.url));

const ProfileMessage = new protobuf.Root().loadSync(PROTO, { keepCase: true }).lookupType('perftools.profiles.Profile');

const fixtures = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(FIXTURES, d.name)).filter((f) => f.endsWith('.pb.gz')).map((f) => `${d.name}/${f}`))
  .sort();

/** Ids instead of object references, so a difference reads as data. */
interface Flat {
  sampleTypes: { type: string; unit: string }[];
  defaultSampleType: string;
  periodType: { type: string; unit: string } | null;
  period: number;
  timeNanos: bigint;
  durationNanos: number;
  comments: string[];
  dropFrames: string;
  keepFrames: string;
  mappings: { id: number; start: number; limit: number; offset: number; file: string; buildId: string; hasFunctions: boolean }[];
  functions: { id: number; name: string; systemName: string; filename: string; startLine: number }[];
  locations: { id: number; mappingId: number | null; address: number; lines: { functionId: number; line: number }[]; isFolded: boolean }[];
  samples: { locationIds: number[]; values: number[]; labels: { key: string; str?: string; num?: number; numUnit?: string }[] }[];
}

function flatten(p: Profile): Flat {
  return {
    sampleTypes: p.sampleTypes.map((t) => ({ ...t })),
    defaultSampleType: p.defaultSampleType,
    periodType: p.periodType && { ...p.periodType },
    period: p.period,
    timeNanos: p.timeNanos,
    durationNanos: p.durationNanos,
    comments: [...p.comments],
    dropFrames: p.dropFrames,
    keepFrames: p.keepFrames,
    mappings: p.mappings.map((m) => ({ ...m })),
    functions: p.functions.map((f) => ({ ...f })),
    locations: p.locations.map((l) => ({
      id: l.id,
      mappingId: l.mapping?.id ?? null,
      address: l.address,
      lines: l.lines.map((ln) => ({ functionId: ln.function.id, line: ln.line })),
      isFolded: l.isFolded,
    })),
    samples: p.samples.map((s) => ({ locationIds: s.locations.map((l) => l.id), values: [...s.values], labels: s.labels.map((l) => ({ ...l })) })),
  };
}

type Longish = string | number;
interface ReflectedValueType { type: Longish; unit: Longish }

/** pprof's resolution (profile.go postDecode) applied to what reflection decoded. */
function oracle(data: Buffer): Flat {
  const m = ProfileMessage.toObject(ProfileMessage.decode(gunzipSync(data)), { longs: String, defaults: true, arrays: true });
  const n = (v: Longish): number => Number(v);
  const strings = m.string_table as string[];
  const str = (i: Longish): string => {
    const s = strings[n(i)];
    if (s === undefined) throw new Error(`string index ${i} out of range`);
    return s;
  };
  const vt = (v: ReflectedValueType) => ({ type: str(v.type), unit: str(v.unit) });
  const mappingIds = new Set((m.mapping as { id: Longish }[]).map((x) => n(x.id)));
  return {
    sampleTypes: (m.sample_type as ReflectedValueType[]).map(vt),
    defaultSampleType: str(m.default_sample_type),
    periodType: m.period_type ? vt(m.period_type) : null,
    period: n(m.period),
    timeNanos: BigInt(m.time_nanos),
    durationNanos: n(m.duration_nanos),
    comments: (m.comment as Longish[]).map(str),
    dropFrames: str(m.drop_frames),
    keepFrames: str(m.keep_frames),
    mappings: m.mapping.map((x: Record<string, Longish | boolean>) => ({
      id: n(x.id as Longish), start: n(x.memory_start as Longish), limit: n(x.memory_limit as Longish), offset: n(x.file_offset as Longish),
      file: str(x.filename as Longish), buildId: str(x.build_id as Longish), hasFunctions: x.has_functions as boolean,
    })),
    functions: m.function.map((f: Record<string, Longish>) => ({
      id: n(f.id), name: str(f.name), systemName: str(f.system_name), filename: str(f.filename), startLine: n(f.start_line),
    })),
    locations: m.location.map((l: { id: Longish; mapping_id: Longish; address: Longish; line: { function_id: Longish; line: Longish }[]; is_folded: boolean }) => ({
      id: n(l.id),
      // Like pprof, an unknown mapping id leaves the location unmapped.
      mappingId: n(l.mapping_id) !== 0 && mappingIds.has(n(l.mapping_id)) ? n(l.mapping_id) : null,
      address: n(l.address),
      lines: l.line.map((ln) => ({ functionId: n(ln.function_id), line: n(ln.line) })),
      isFolded: l.is_folded,
    })),
    samples: m.sample.map((s: { location_id: Longish[]; value: Longish[]; label: Record<string, Longish>[] }) => ({
      locationIds: s.location_id.map(n),
      values: s.value.map(n),
      // A string label when str is set; else numeric when num or its unit is set; else dropped.
      labels: s.label.flatMap((l): Flat['samples'][number]['labels'] => {
        if (n(l.str) !== 0) return [{ key: str(l.key), str: str(l.str) }];
        if (n(l.num) === 0 && n(l.num_unit) === 0) return [];
        const unit = str(l.num_unit);
        return [unit === '' ? { key: str(l.key), num: n(l.num) } : { key: str(l.key), num: n(l.num), numUnit: unit }];
      }),
    })),
  };
}

/**
 * What Go's fixtures do not show, written by reflection: numeric labels with and without a unit,
 * a label with neither (dropped), sparse ids, an unknown mapping id, negative and 2^53+ values,
 * folded locations, comments, drop/keep frames and a default sample type.
 */
function edgeCases(): Buffer {
  const strings = ['', 'alloc_space', 'bytes', 'cpu', 'nanoseconds', 'main.f', 'main.go', 'worker', 'bytes_in', 'a', 'note', 'drop.*', 'keep.*', '/bin/app', 'id1', 'main.g'];
  const s = (x: string) => strings.indexOf(x);
  const message = ProfileMessage.fromObject({
    sample_type: [{ type: s('alloc_space'), unit: s('bytes') }],
    sample: [
      { location_id: [1000, 7], value: [-5], label: [{ key: s('worker'), str: s('a') }, { key: s('bytes_in'), num: 42, num_unit: s('bytes') }] },
      { location_id: [7], value: ['9007199254740993'], label: [{ key: s('bytes_in'), num: -3 }, { key: s('worker') }] },
    ],
    mapping: [{ id: 3, memory_start: 4096, memory_limit: 8192, file_offset: 16, filename: s('/bin/app'), build_id: s('id1'), has_functions: true }],
    location: [
      { id: 1000, mapping_id: 3, address: 4200, line: [{ function_id: 50, line: 12 }, { function_id: 9, line: 30 }], is_folded: true },
      { id: 7, mapping_id: 99, address: '140737488355327', line: [] },
    ],
    function: [
      { id: 50, name: s('main.f'), system_name: s('main.f'), filename: s('main.go'), start_line: 10 },
      { id: 9, name: s('main.g'), system_name: s('main.g'), filename: s('main.go'), start_line: 28 },
    ],
    string_table: strings,
    drop_frames: s('drop.*'),
    keep_frames: s('keep.*'),
    time_nanos: '1764900000123456789',
    duration_nanos: 15_000_000_000,
    period_type: { type: s('cpu'), unit: s('nanoseconds') },
    period: 10_000_000,
    comment: [s('note')],
    default_sample_type: s('alloc_space'),
  });
  return gzipSync(ProfileMessage.encode(message).finish());
}

/** A heap profile the size of a busy service's (20k samples over 2k locations), written by reflection. */
function bigProfile(): Buffer {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const strings = ['', 'alloc_objects', 'count', 'alloc_space', 'bytes', 'inuse_objects', 'inuse_space', 'space', 'bytes_per_object'];
  const functions = Array.from({ length: 500 }, (_, i) => {
    strings.push(`pkg${i % 37}.fn${i}`, `/src/pkg${i % 37}/file${i % 11}.go`);
    return { id: i + 1, name: strings.length - 2, system_name: strings.length - 2, filename: strings.length - 1, start_line: rand(900) + 1 };
  });
  const location = Array.from({ length: 2000 }, (_, i) => ({
    id: i + 1,
    mapping_id: 1,
    address: 0x400000 + i * 16,
    line: Array.from({ length: 1 + (rand(4) === 0 ? 1 : 0) }, () => ({ function_id: rand(500) + 1, line: rand(2000) + 1 })),
  }));
  const sample = Array.from({ length: 20_000 }, () => ({
    location_id: Array.from({ length: 1 + rand(24) }, () => rand(2000) + 1),
    value: [rand(50), rand(50) * 4096, rand(10), rand(10) * 4096],
    label: rand(5) === 0 ? [{ key: strings.indexOf('bytes_per_object'), num: 4096 * (1 + rand(4)), num_unit: strings.indexOf('bytes') }] : [],
  }));
  const message = ProfileMessage.fromObject({
    sample_type: [['alloc_objects', 'count'], ['alloc_space', 'bytes'], ['inuse_objects', 'count'], ['inuse_space', 'bytes']].map(([t, u]) => ({ type: strings.indexOf(t!), unit: strings.indexOf(u!) })),
    sample,
    mapping: [{ id: 1, memory_start: 0x400000, memory_limit: 0x800000, has_functions: true }],
    location,
    function: functions,
    string_table: strings,
    time_nanos: '1764900000000000000',
    period_type: { type: strings.indexOf('space'), unit: strings.indexOf('bytes') },
    period: 524288,
  });
  return gzipSync(ProfileMessage.encode(message).finish());
}

describe('the hand-written decoder agrees with protobufjs reflection over profile.proto', () => {
  it('on a profile the size of a busy service', () => {
    const data = bigProfile();
    const want = oracle(data);
    expect(want.samples.length).toBe(20_000);
    expect(flatten(decodeProfile(data))).toEqual(want);
  });

  it('on a profile with the cases the fixtures lack', () => {
    const data = edgeCases();
    const want = oracle(data);
    expect(want.samples.map((x) => x.labels.length)).toEqual([2, 1]);
    expect(flatten(decodeProfile(data))).toEqual(want);
  });

  it('finds the fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(10));

  it.each(fixtures)('%s', (name) => {
    const data = readFileSync(join(FIXTURES, name));
    const want = oracle(data);
    const got = flatten(decodeProfile(data));
    expect(got.samples.length).toBe(want.samples.length);
    expect(got).toEqual(want);
  });
});
