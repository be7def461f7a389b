/**
 * A decoded profile keeps its samples as columns until `samples` is read (src/profile/columns.ts):
 * the diff must print the same either way, and once the samples exist as objects, changes made
 * to them are what the diff sees.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heapProfile } from '../bench/decode.js';
import { decodeProfile } from '../../src/profile/decode.js';
import { encodeProfile } from '../../src/profile/encode.js';
import type { Location, Profile } from '../../src/profile/model.js';
import { formatTop, topReport, type TopOptions } from '../../src/profile/top.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/pprof');
const load = (dir: string, file: string): Profile => decodeProfile(readFileSync(join(FIXTURES, dir, file)));
/** The same profile with its sample objects built (the diff then walks those instead of the columns). */
function built(p: Profile): Profile {
  void p.samples;
  return p;
}

describe('the diff reads decoded samples without building them, with the same result', () => {
  const modes: [string, TopOptions][] = [
    ['-diff_base', {}],
    ['-base', { mode: 'base' }],
    ['-diff_base alloc_space', { sampleIndex: 'alloc_space' }],
  ];
  for (const dir of ['out119', 'out123']) {
    for (const [name, opts] of modes) {
      it(`${dir} ${name}`, () => {
        const columns = formatTop(topReport(load(dir, 'new.pb.gz'), { ...opts, base: load(dir, 'base.pb.gz') }));
        const objects = formatTop(topReport(built(load(dir, 'new.pb.gz')), { ...opts, base: built(load(dir, 'base.pb.gz')) }));
        expect(columns).toBe(objects);
        expect(columns).toContain('Showing nodes accounting for');
      });
    }
  }
});

describe('once read, the sample objects are the profile', () => {
  it('values changed through samples change the report', () => {
    const before = topReport(load('out123', 'new.pb.gz'));
    const p = load('out123', 'new.pb.gz');
    for (const s of p.samples) s.values = s.values.map((v) => 2 * v);
    expect(topReport(p).total).toBe(2 * before.total);
  });

  it('assigned samples replace the decoded ones', () => {
    const p = load('out123', 'new.pb.gz');
    p.samples = p.samples.slice(0, 1);
    expect(p.samples).toHaveLength(1);
    expect(topReport(p).total).toBe(Math.abs(p.samples[0].values[3]));
  });
});

describe('decoded samples share what they have in common', () => {
  it('samples with the same stack share one locations array; equal labels share one frozen array', () => {
    const mapping = { id: 1, start: 0x400000, limit: 0x500000, offset: 0, file: '/bin/app', buildId: '', hasFunctions: true };
    const fn = { id: 1, name: 'main.leak', systemName: 'main.leak', filename: '/src/app.go', startLine: 3 };
    const loc: Location = { id: 1, mapping, address: 0x401000, lines: [{ function: fn, line: 9 }], isFolded: false };
    const labels = [{ key: 'bytes', num: 64 }];
    const p = decodeProfile(
      encodeProfile(
        heapProfile({
          mappings: [mapping],
          locations: [loc],
          functions: [fn],
          samples: [1, 2, 3].map((v) => ({ locations: [loc], values: [v, 64 * v, v, 64 * v], labels })),
        }),
      ),
    );
    const [a, b, c] = p.samples;
    expect(a.locations).toBe(b.locations);
    expect(b.locations).toBe(c.locations);
    expect(a.labels).toBe(c.labels);
    expect(Object.isFrozen(a.labels)).toBe(true);
    expect(p.samples.map((s) => s.values)).toEqual([[1, 64, 1, 64], [2, 128, 2, 128], [3, 192, 3, 192]]);
    expect(a.locations[0]).toBe(p.locations[0]);
  });
});
