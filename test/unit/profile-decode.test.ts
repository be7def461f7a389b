import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { gzip } from 'pako';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeProfile } from '../../src/profile/decode.js';
import { encodeProfile, encodeProfileProto } from '../../src/profile/encode.js';
import { GzipTooLarge, GzipWatch, MAX_RATIO, RATIO_SLACK, ungzipCapped } from '../../src/profile/gzip.js';
import type { Profile } from '../../src/profile/model.js';
import { heapProfile } from '../bench/decode.js';
import { sampleTotals } from '../../src/profile/totals.js';
import { goAvailable, goPprof } from '../helpers/go.js';
import { absTotals, parseRaw, pprofTotals, viewOf } from '../helpers/pprof-raw.js';
import { PROFILE_STAGES, ProfileError, type ProfileStage } from '../../src/profile/errors.js';
import { ERROR_CODES, type ProfileCode } from '../../src/model/errors.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/pprof');
const VERSIONS = ['out119', 'out123'];
const FILES = ['base', 'base_allocs', 'new', 'goroutine', 'heap_delta'];
const CASES = VERSIONS.flatMap((v) => FILES.map((f) => ({ name: `${v}/${f}`, path: join(FIXTURES, v, `${f}.pb.gz`) })));

const tmp = mkdtempSync(join(tmpdir(), 'leakwatch-decode-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Builds a small valid profile model by hand (ids deliberately 0: the encoder assigns them). */
function handMade(values: number[][]): Profile {
  const mapping = { id: 0, start: 0x400000, limit: 0xffffffffff600000, offset: 0, file: '/bin/app', buildId: 'abc', hasFunctions: true };
  const fn = (name: string) => ({ id: 0, name, systemName: name, filename: '/src/app.go', startLine: 10 });
  const leak = fn('main.(*sessionStore).remember');
  const main = fn('main.main');
  const locLeak = { id: 0, mapping, address: 0x401234, lines: [{ function: leak, line: 42 }], isFolded: false };
  const locMain = { id: 0, mapping, address: 0x405678, lines: [{ function: main, line: 7 }], isFolded: false };
  return heapProfile({
    sampleTypes: [{ type: 'alloc_space', unit: 'bytes' }, { type: 'inuse_space', unit: 'bytes' }],
    mappings: [mapping],
    locations: [locLeak, locMain],
    functions: [leak, main],
    samples: values.map((v, i) => ({
      locations: i % 2 === 0 ? [locLeak, locMain] : [locMain],
      values: v,
      labels: [{ key: 'bytes', num: 1024 }, { key: 'worker', str: `w${i}` }],
    })),
  });
}

describe('decodeProfile on recorded Go 1.19 and 1.23 profiles', () => {
  it.each(CASES)('$name: decodes with the sample types Go writes', ({ path }) => {
    const p = decodeProfile(readFileSync(path));
    const types = p.sampleTypes.map((t) => t.type);
    expect([['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'], ['goroutine']]).toContainEqual(types);
    for (const s of p.samples) expect(s.values).toHaveLength(types.length);
    expect(p.timeNanos).toBeGreaterThan(2n ** 53n);
  });

  it('inuse_space total equals the total of the recorded `go tool pprof -top`', () => {
    for (const v of VERSIONS) {
      const top = readFileSync(join(FIXTURES, v, 'expected_top_new.txt'), 'utf8');
      const m = /of ([\d.]+)([kMG]?B) total/.exec(top)!;
      const scale = { B: 1, kB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30 }[m[2]]!;
      const total = sampleTotals(decodeProfile(readFileSync(join(FIXTURES, v, 'new.pb.gz'))))[3];
      // -top prints two decimals of the scaled unit.
      expect(Math.abs(total / scale - Number(m[1]))).toBeLessThanOrEqual(0.005);
    }
  });

  it('reads the default sample type of /allocs profiles', () => {
    expect(decodeProfile(readFileSync(join(FIXTURES, 'out123/base_allocs.pb.gz'))).defaultSampleType).toBe('alloc_space');
    expect(decodeProfile(readFileSync(join(FIXTURES, 'out123/base.pb.gz'))).defaultSampleType).toBe('');
  });

  it.each(CASES)('$name: encode → decode gives the same profile', ({ path }) => {
    const p = decodeProfile(readFileSync(path));
    expect(decodeProfile(encodeProfile(p))).toEqual(p);
  });
});

describe.skipIf(!goAvailable())('decodeProfile against `go tool pprof` (oracle)', () => {
  it.each(CASES)('$name: totals, samples, stacks, labels and time equal what pprof -raw reads', ({ path }) => {
    const p = decodeProfile(readFileSync(path));
    const raw = parseRaw(goPprof(['-raw', path]));
    expect(sampleTotals(p)).toEqual(pprofTotals(path, p.sampleTypes.length));
    const mine = viewOf(p);
    expect(mine.sampleTypes).toEqual(raw.sampleTypes);
    expect(mine.samples).toEqual(raw.samples);
    expect(p.timeNanos).toBe(raw.timeNanos);
    expect(p.period).toBe(raw.period);
    expect(p.periodType && `${p.periodType.type} ${p.periodType.unit}`).toBe(raw.periodType);
  });

  it.each(CASES)('$name: re-encoded file gives pprof the same -top and -raw', ({ name, path }) => {
    const out = join(tmp, `${name.replace('/', '_')}.pb.gz`);
    writeFileSync(out, encodeProfile(decodeProfile(readFileSync(path))));
    expect(goPprof(['-top', out])).toBe(goPprof(['-top', path]));
    expect(goPprof(['-raw', out])).toBe(goPprof(['-raw', path]));
  });

  it('a hand-built model with negative values (a diff) opens in pprof with the same samples', () => {
    const p = handMade([[-3000, -1500], [1_125_899_906_842_627, 2048], [0, -(2 ** 40)]]);
    const out = join(tmp, 'handmade.pb.gz');
    writeFileSync(out, encodeProfile(p));
    const raw = parseRaw(goPprof(['-raw', out]));
    // -top's total is Σ|value|; sampleTotals is the signed sum.
    expect(pprofTotals(out, 2)).toEqual(absTotals(p));
    expect(sampleTotals(p)).toEqual([-3000 + 1_125_899_906_842_627, -1500 + 2048 - 2 ** 40]);
    expect(raw.samples).toEqual(viewOf(p).samples);
    expect(raw.timeNanos).toBe(p.timeNanos);
    expect(goPprof(['-top', out])).toContain('main.(*sessionStore).remember');
  });
});

describe('encodeProfile', () => {
  it('keeps ids, exact int64 values, huge addresses and labels through a round trip', () => {
    const p = handMade([[-3000, -1500], [1_125_899_906_842_627, 2048]]);
    const back = decodeProfile(encodeProfile(p));
    expect(back.samples.map((s) => s.values)).toEqual([[-3000, -1500], [1_125_899_906_842_627, 2048]]);
    expect(back.mappings[0].limit).toBe(0xffffffffff600000);
    expect(back.timeNanos).toBe(1795686235061474647n);
    expect(back.samples[1].labels).toEqual([{ key: 'bytes', num: 1024 }, { key: 'worker', str: 'w1' }]);
    expect(back.functions.map((f) => f.id)).toEqual([1, 2]);
    expect(back.samples[0].locations.map((l) => l.lines[0].function.name)).toEqual(['main.(*sessionStore).remember', 'main.main']);
  });
});

/** Hand-written wire bytes for inputs our encoder would never produce. */
function proto(build: (w: protobuf.Writer) => void): Uint8Array {
  const w = protobuf.Writer.create();
  build(w);
  return w.finish();
}
const str = (w: protobuf.Writer, s: string) => w.uint32((6 << 3) | 2).string(s);
const sampleType = (w: protobuf.Writer) => w.uint32((1 << 3) | 2).fork().uint32(8).int64(1).uint32(16).int64(2).ldelim();

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
}

describe('decodeProfile on hand-written wire input', () => {
  it('accepts packed and unpacked repeats, any field order, forward references and sparse 64-bit ids', () => {
    const big = 2 ** 40 + 5; // sparse, multi-byte ids: the Map path and the slow varint path
    const data = proto((w) => {
      // string table first, samples before the locations and functions they reference
      for (const s of ['', 'goroutine', 'count', 'main.f', 'main.g', 'worker', 'a']) str(w, s);
      w.uint32((1 << 3) | 2).fork().uint32(8).int64(1).uint32(16).int64(2).ldelim();
      w.uint32((2 << 3) | 2).fork();
      for (const id of [1, big, 1]) w.uint32(8).uint64(id); // three unpacked location ids
      w.uint32(16).int64(-7);
      w.uint32((3 << 3) | 2).fork().uint32(8).int64(5).uint32(16).int64(6).ldelim();
      w.ldelim();
      w.uint32((2 << 3) | 2).fork().uint32(10).fork().uint64(big).uint64(1).uint64(big).ldelim().uint32(16).int64(3).ldelim();
      w.uint32((4 << 3) | 2).fork().uint32(8).uint64(1).uint32(34).fork().uint32(8).uint64(9).uint32(16).int64(12).ldelim().ldelim();
      w.uint32((4 << 3) | 2).fork().uint32(8).uint64(big).uint32(24).uint64(0x7fffffffffff).ldelim();
      w.uint32((5 << 3) | 2).fork().uint32(8).uint64(9).uint32(16).int64(3).uint32(24).int64(4).ldelim();
      w.uint32((15 << 3) | 0).int64(6); // doc_url: newer field, skipped
    });
    const p = decodeProfile(data);
    expect(p.sampleTypes).toEqual([{ type: 'goroutine', unit: 'count' }]);
    expect(p.samples.map((s) => s.values)).toEqual([[-7], [3]]);
    expect(p.samples.map((s) => s.locations.map((l) => l.id))).toEqual([[1, big, 1], [big, 1, big]]);
    expect(p.samples[0].labels).toEqual([{ key: 'worker', str: 'a' }]);
    expect(p.locations[0].lines[0]).toEqual({ function: p.functions[0], line: 12 });
    expect(p.functions[0]).toMatchObject({ id: 9, name: 'main.f', systemName: 'main.g' });
    expect(p.locations[1]).toMatchObject({ address: 0x7fffffffffff, lines: [], mapping: null });
    expect(sampleTotals(p)).toEqual([-4]);
  });
});

describe('decodeProfile rejects bad input with an error naming the stage', () => {
  const good = readFileSync(join(FIXTURES, 'out123/new.pb.gz'));
  const cases: Array<{ name: string; stage?: ProfileStage; code?: ProfileCode; data: () => Uint8Array; cap?: number; error: RegExp }> = [
    { name: 'empty body', stage: 'parse', code: 'empty', data: () => new Uint8Array(), error: /^parsing profile: empty input/ },
    { name: 'truncated gzip', stage: 'decompress', code: 'bad_gzip', data: () => good.subarray(0, good.length / 2), error: /^decompressing profile: truncated/ },
    { name: 'corrupt gzip', stage: 'decompress', code: 'bad_gzip', data: () => Uint8Array.from(good, (b, i) => (i === 40 ? b ^ 0xff : b)), error: /^decompressing profile: corrupt/ },
    { name: 'gzip bomb over the cap', stage: 'decompress', code: 'too_large', data: () => gzip(new Uint8Array(8 << 20)), cap: 1 << 20, error: /^decompressing profile: output exceeds the limit of 1048576 bytes/ },
    { name: 'an HTML error page', data: () => new TextEncoder().encode('<html><body>404 page not found</body></html>'), error: /^(parsing|malformed) profile:/ },
    { name: 'string_table[0] is not ""', stage: 'resolve', code: 'invalid', data: () => proto((w) => { sampleType(w); str(w, 'x'); str(w, 'bytes'); str(w, 'space'); }), error: /^malformed profile: string_table\[0\] must be ''/ },
    { name: 'a message with no string table', stage: 'resolve', code: 'invalid', data: () => proto((w) => w.uint32((3 << 3) | 2).fork().uint32(8).uint64(5).ldelim()), error: /^malformed profile: no string_table/ },
    { name: 'a message with no sample types', stage: 'resolve', code: 'invalid', data: () => proto((w) => { str(w, ''); str(w, 'a'); }), error: /^malformed profile: no sample types/ },
    { name: 'string index out of range', stage: 'resolve', code: 'invalid', data: () => proto((w) => { sampleType(w); str(w, ''); str(w, 'space'); str(w, 'bytes'); w.uint32(7 << 3).int64(9); }), error: /^malformed profile: drop_frames: string index 9 out of range/ },
    { name: 'value count mismatch', stage: 'resolve', code: 'invalid', data: () => encodeProfile({ ...handMade([[1, 2]]), samples: [{ ...handMade([[1]]).samples[0], values: [1] }] }), error: /^malformed profile: sample 0 has 1 values vs\. 2 sample types/ },
    { name: 'unknown location id', stage: 'resolve', code: 'invalid', data: () => proto((w) => { sampleType(w); w.uint32((2 << 3) | 2).fork().uint32(8).uint64(77).uint32(16).int64(1).ldelim(); str(w, ''); str(w, 'a'); str(w, 'b'); }), error: /^malformed profile: sample 0 references unknown location id 77/ },
    { name: 'unknown function id', stage: 'resolve', code: 'invalid', data: () => proto((w) => { sampleType(w); w.uint32((4 << 3) | 2).fork().uint32(8).uint64(1).uint32((4 << 3) | 2).fork().uint32(8).uint64(5).ldelim().ldelim(); str(w, ''); str(w, 'a'); str(w, 'b'); }), error: /^malformed profile: location 1 has a line with unknown function id 5/ },
    { name: 'duplicate location ids', stage: 'resolve', code: 'invalid', data: () => proto((w) => { sampleType(w); for (let i = 0; i < 2; i++) w.uint32((4 << 3) | 2).fork().uint32(8).uint64(3).ldelim(); str(w, ''); str(w, 'a'); str(w, 'b'); }), error: /^malformed profile: multiple locations with id 3/ },
    { name: 'time_nanos twice (concatenated profiles)', stage: 'parse', code: 'bad_wire', data: () => { const one = encodeProfileProto(handMade([[1, 2]])); const two = new Uint8Array(one.length * 2); two.set(one); two.set(one, one.length); return two; }, error: /^parsing profile: concatenated profiles detected/ },
    { name: 'wrong wire type for a known field', stage: 'parse', code: 'bad_wire', data: () => proto((w) => w.uint32((9 << 3) | 2).string('now')), error: /^parsing profile: time_nanos has wire type 2, want 0/ },
    { name: 'an unknown wire type', stage: 'parse', code: 'bad_wire', data: () => proto((w) => { sampleType(w); w.uint32((20 << 3) | 7); }), error: /^parsing profile: field 20 has unknown wire type 7 at offset \d+$/ },
    { name: 'a group (proto2 only)', stage: 'parse', code: 'bad_wire', data: () => proto((w) => { sampleType(w); w.uint32((20 << 3) | 3); }), error: /^parsing profile: field 20 has unknown wire type 3 at offset \d+$/ },
    { name: 'an unknown field running past the end', stage: 'parse', code: 'bad_wire', data: () => proto((w) => { sampleType(w); w.uint32((20 << 3) | 2).uint32(50); }), error: /^parsing profile: field 20 overruns the input at offset \d+$/ },
    { name: 'length running past the end', stage: 'parse', code: 'bad_wire', data: () => proto((w) => sampleType(w)).subarray(0, 5), error: /^parsing profile: / },
  ];
  it.each(cases)('$name', ({ data, cap, error, stage, code }) => {
    let err: unknown;
    try {
      decodeProfile(data(), cap ? { maxDecompressed: cap } : {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProfileError);
    expect((err as ProfileError).message).toMatch(error);
    if (stage) expect({ stage: (err as ProfileError).stage, code: (err as ProfileError).code }).toEqual({ stage, code });
    // The stage is named once and every code is in the one table.
    expect((err as ProfileError).message.split(PROFILE_STAGES[(err as ProfileError).stage]).length).toBe(2);
    expect(Object.keys(ERROR_CODES.profile)).toContain((err as ProfileError).code);
  });

  it('a multi-member gzip bomb (288 MiB from 290 KB) is refused by its ratio a few MiB in, far below the 256 MiB cap', () => {
    const member = gzip(new Uint8Array(32 << 20));
    const bomb = new Uint8Array(member.length * 9);
    for (let i = 0; i < 9; i++) bomb.set(member, i * member.length);
    expect(() => decodeProfile(bomb)).toThrow(new RegExp(`^decompressing profile: output exceeds ${MAX_RATIO}× its input`));
    const err = (() => {
      try {
        ungzipCapped(bomb, 256 << 20);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GzipTooLarge);
    expect((err as GzipTooLarge).limit).toBeUndefined();
    expect((err as GzipTooLarge).output).toBeLessThanOrEqual(RATIO_SLACK + (1 << 20));
  });

  it('GzipWatch refuses a bomb a few KiB into its download and lets real profiles through', () => {
    const member = gzipSync(Buffer.alloc(64 << 20));
    const bomb = Buffer.concat([member, member]);
    const watch = new GzipWatch();
    let fed = 0;
    const err = (() => {
      try {
        for (; fed < bomb.length; fed += 1024) watch.push(bomb.subarray(fed, fed + 1024));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GzipTooLarge);
    expect(fed).toBeLessThan(8 << 10);
    for (const f of ['new.pb.gz', 'goroutine.pb.gz', 'base_allocs.pb.gz']) {
      const body = readFileSync(resolve(FIXTURES, 'out123', f));
      const w = new GzipWatch();
      for (let i = 0; i < body.length; i += 100) w.push(body.subarray(i, i + 100));
    }
    new GzipWatch().push(Buffer.from('not gzip at all'));
  });

  it('the absolute cap still holds for output that inflates by less than the ratio', () => {
    // Incompressible bytes: ratio ~1, so only the absolute cap can stop them.
    let x = 1;
    const noise = Buffer.alloc(3 << 19);
    for (let i = 0; i < noise.length; i++) noise[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    const gz = gzipSync(noise);
    expect(() => ungzipCapped(gz, 1 << 20)).toThrow(/^decompressing profile: output exceeds the limit of 1048576 bytes/);
    expect(Buffer.from(ungzipCapped(gz, 2 << 20)).equals(noise)).toBe(true);
  });

  it('valid gzip of random bytes never decodes to a profile (500 seeds)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const next = seeded(seed);
      const junk = Uint8Array.from({ length: 64 + (seed % 4000) }, next);
      expect(() => decodeProfile(gzip(junk)), `seed ${seed}`).toThrow(/^(parsing|malformed) profile:/);
    }
  });
});

describe('ungzipCapped', () => {
  it('returns non-gzip input unchanged and inflates gzip input exactly', () => {
    const plain = new Uint8Array([1, 2, 3]);
    expect(ungzipCapped(plain, 10)).toBe(plain);
    const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff);
    expect(ungzipCapped(gzip(data), data.length)).toEqual(data);
    expect(() => ungzipCapped(gzip(data), data.length - 1)).toThrow(/^decompressing profile: output exceeds/);
  });
});
