/**
 * checkProfile (the routine capture's check, no model built) must refuse exactly what
 * decodeProfile refuses, with the same stage and code, and report the same sample types and
 * time_nanos for what both accept: compared on every recorded fixture, hand-made profiles, and
 * thousands of random mutations of them (flipped, replaced, inserted, deleted bytes, truncations).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProfile } from '../../src/profile/check.js';
import { decodeProfile } from '../../src/profile/decode.js';
import { encodeProfileProto } from '../../src/profile/encode.js';
import { ProfileError } from '../../src/profile/errors.js';
import { heapProfile } from '../bench/decode.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/pprof');
const RAW = ['out119', 'out123'].flatMap((v) =>
  ['base', 'base_allocs', 'new', 'goroutine', 'heap_delta'].map((f) => ({ name: `${v}/${f}`, raw: gunzipSync(readFileSync(join(FIXTURES, v, `${f}.pb.gz`))) })),
);

/** A profile with labels (string and numeric) and sparse ids, the paths Go's own profiles rarely take. */
function labelled(): Uint8Array {
  const mapping = { id: 0, start: 0x400000, limit: 0x500000, offset: 0, file: '/bin/app', buildId: 'abc', hasFunctions: true };
  const fn = { id: 0, name: 'main.leak', systemName: 'main.leak', filename: '/src/app.go', startLine: 10 };
  const loc = { id: 0, mapping, address: 0x401234, lines: [{ function: fn, line: 42 }], isFolded: false };
  return encodeProfileProto(heapProfile({
    sampleTypes: [{ type: 'alloc_space', unit: 'bytes' }, { type: 'inuse_space', unit: 'bytes' }],
    mappings: [mapping],
    locations: [loc],
    functions: [fn],
    samples: [0, 1, 2].map((i) => ({ locations: [loc], values: [i, 2 * i], labels: [{ key: 'bytes', num: 1024, numUnit: 'bytes' }, { key: 'worker', str: `w${i % 2}` }] })),
  }));
}

type Outcome = { ok: true; timeNanos: bigint; sampleTypes: string[] } | { ok: false; stage: string; code: string };

function outcome(f: () => { timeNanos: bigint; sampleTypes: string[] }): Outcome {
  try {
    const { timeNanos, sampleTypes } = f();
    return { ok: true, timeNanos, sampleTypes };
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return { ok: false, stage: (e as ProfileError).stage, code: (e as ProfileError).code };
  }
}

const viaDecode = (raw: Uint8Array): Outcome => outcome(() => {
  const p = decodeProfile(raw);
  return { timeNanos: p.timeNanos, sampleTypes: p.sampleTypes.map((t) => t.type) };
});
const viaCheck = (raw: Uint8Array): Outcome => outcome(() => checkProfile(raw));

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function mutate(raw: Uint8Array, next: () => number): Uint8Array {
  let out = Uint8Array.from(raw);
  const edits = 1 + Math.floor(next() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * out.length);
    const byte = Math.floor(next() * 256);
    switch (Math.floor(next() * 5)) {
      case 0: out[at] ^= 1 << Math.floor(next() * 8); break;
      case 1: out[at] = byte; break;
      case 2: out = Uint8Array.from([...out.subarray(0, at), byte, ...out.subarray(at)]); break;
      case 3: out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + 1)]); break;
      default: out = out.slice(0, at);
    }
  }
  return out;
}

describe('checkProfile agrees with decodeProfile', () => {
  const inputs = [...RAW, { name: 'labelled', raw: labelled() }];

  it.each(inputs)('$name: the same sample types and time_nanos', ({ raw }) => {
    const decoded = viaDecode(raw);
    expect(decoded.ok).toBe(true);
    expect(viaCheck(raw)).toEqual(decoded);
  });

  it('refuses what decodeProfile refuses, with the same stage and code, on 6,000 mutations', () => {
    const seen = { ok: 0, parse: 0, resolve: 0 };
    for (let seed = 1; seed <= 6_000; seed++) {
      const next = seeded(seed);
      const { name, raw } = inputs[seed % inputs.length];
      const bad = mutate(raw, next);
      const want = viaDecode(bad);
      expect(viaCheck(bad), `${name} seed ${seed}`).toEqual(want);
      if (want.ok) seen.ok++;
      else seen[want.stage as 'parse' | 'resolve']++;
    }
    // The mutations reach every verdict, so the agreement means something.
    expect(seen.ok).toBeGreaterThan(100);
    expect(seen.parse).toBeGreaterThan(100);
    expect(seen.resolve).toBeGreaterThan(100);
  });

  it('refuses random bytes as decodeProfile does (500 seeds) and empty input as empty', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const next = seeded(seed);
      const junk = Uint8Array.from({ length: 64 + (seed % 4000) }, () => Math.floor(next() * 256));
      expect(viaCheck(junk), `seed ${seed}`).toEqual(viaDecode(junk));
    }
    expect(viaCheck(new Uint8Array())).toEqual({ ok: false, stage: 'parse', code: 'empty' });
  });
});
