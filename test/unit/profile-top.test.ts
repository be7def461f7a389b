import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeProfile } from '../../src/profile/decode.js';
import { formatF, formatG, padLeft, percentage, scaledLabel } from '../../src/profile/gofmt.js';
import type { Location, Mapping, Profile, ProfileFunction } from '../../src/profile/model.js';
import { formatTop, sampleIndexOf, topReport } from '../../src/profile/top.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/pprof');
const load = (dir: string, file: string): Profile => decodeProfile(readFileSync(join(FIXTURES, dir, file)));
/** The Time: line depends on the local zone and is not part of formatTop. */
const expected = (dir: string, file: string): string =>
  readFileSync(join(FIXTURES, dir, file), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('Time: '))
    .join('\n');

describe('formatTop matches the recorded `go tool pprof -top` output', () => {
  for (const dir of ['out119', 'out123']) {
    const base = load(dir, 'base.pb.gz');
    const next = load(dir, 'new.pb.gz');
    const cases: [string, () => string][] = [
      ['expected_top_new.txt', () => formatTop(topReport(next))],
      ['expected_top_diff_base.txt', () => formatTop(topReport(next, { base }))],
      ['expected_top_base.txt', () => formatTop(topReport(next, { base, mode: 'base' }))],
      ['expected_top_diff_base_alloc_space.txt', () => formatTop(topReport(next, { base, sampleIndex: 'alloc_space' }))],
      ['expected_top_goroutine.txt', () => formatTop(topReport(load(dir, 'goroutine.pb.gz')))],
    ];
    for (const [file, run] of cases) {
      it(`${dir}/${file}`, () => expect(run()).toBe(expected(dir, file)));
    }
  }
});

describe('Go-exact number formatting', () => {
  it.each([
    // [value, %.2f] — exact binary ties round half to even, unlike toFixed
    [1.125, '1.12'],
    [1.375, '1.38'],
    [0.125, '0.12'],
    [2.675, '2.67'], // 2.67499999... in binary
    [1.005, '1.00'],
    [-3.915, '-3.92'],
    [-0.001, '-0.00'],
    [0, '0.00'],
    [20500.005, '20500.01'],
    [123456789.125, '123456789.12'],
  ])('%%.2f of %d is %s', (v, s) => expect(formatF(v, 2)).toBe(s));

  it.each([
    // [value, %.2g]
    [0.5, '0.5'],
    [0.125, '0.12'],
    [0.135, '0.14'],
    [0.0037, '0.0037'],
    [0.00012, '0.00012'],
    [0.000012, '1.2e-05'],
    [0.00001, '1e-05'],
    [5e-7, '5e-07'],
    [0, '0'],
    [0.995, '0.99'], // 0.99499999... in binary
    [0.9951, '1'],
    [123, '1.2e+02'],
    [1.5e-100, '1.5e-100'],
  ])('%%.2g of %d is %s', (v, s) => expect(formatG(v, 2)).toBe(s));

  it.each([
    [1, 1, '  100%'],
    [9995, 10000, '  100%'],
    [9994, 10000, '99.94%'],
    [-42188, 100000, '42.19%'],
    [11986, 10000, '119.86%'],
    [5, 1000, '  0.5%'],
    [12, 10000, ' 0.12%'],
    [37, 1000000, '0.0037%'],
    [12, 1000000000, '1.2e-06%'],
    [0, 11, '    0%'],
    [5, 0, '    0%'],
  ])('Percentage(%d, %d) is %j', (v, t, s) => expect(percentage(v, t)).toBe(s));

  it.each([
    [1152, 'bytes', 'kB', '1.12kB'], // a real size class, and a tie
    [4 << 20, 'bytes', 'MB', '4MB'],
    [-4014, 'bytes', 'kB', '-3.92kB'],
    [2, 'bytes', 'kB', '0'],
    [-2, 'bytes', 'kB', '0'],
    [11, 'count', 'count', '11'],
    [221184, 'bytes', 'kB', '216kB'],
    [1e9, 'nanoseconds', 'auto', '1s'],
    [1500, 'nanoseconds', 'auto', '1.50us'],
    [7200e9, 'nanoseconds', 'auto', '2hrs'],
    [0, 'bytes', 'minimum', '0'],
  ])('ScaledLabel(%d, %s, %s) is %s', (v, from, to, s) => expect(scaledLabel(v, from, to)).toBe(s));

  it('pads like %10s without truncating', () => {
    expect(padLeft('216kB', 10)).toBe('     216kB');
    expect(padLeft('-14936.99kB', 10)).toBe('-14936.99kB');
  });
});

/** A tiny heap-like profile built by hand: one value per sample, no mappings unless given. */
function handProfile(stacks: [string[][], number][], mapping: Mapping | null = null): Profile {
  const functions = new Map<string, ProfileFunction>();
  const fn = (name: string): ProfileFunction => {
    let f = functions.get(name);
    if (!f) {
      f = { id: functions.size + 1, name, systemName: name, filename: '', startLine: 0 };
      functions.set(name, f);
    }
    return f;
  };
  const locations: Location[] = [];
  const samples = stacks.map(([frames, v]) => ({
    // Each frame is one location; its names are its lines, innermost first ([] = no lines).
    locations: frames.map((lines) => {
      const loc: Location = {
        id: locations.length + 1,
        mapping,
        address: 0x1000 + locations.length,
        lines: lines.map((n) => ({ function: fn(n), line: 1 })),
        isFolded: false,
      };
      locations.push(loc);
      return loc;
    }),
    values: [v],
    labels: [],
  }));
  return {
    sampleTypes: [{ type: 'inuse_space', unit: 'bytes' }],
    defaultSampleType: '',
    periodType: { type: 'space', unit: 'bytes' },
    period: 524288,
    timeNanos: 0n,
    durationNanos: 0,
    comments: [],
    dropFrames: '',
    keepFrames: '',
    mappings: mapping ? [mapping] : [],
    locations,
    functions: [...functions.values()],
    samples,
  };
}

describe('topReport on hand-built profiles', () => {
  it('labels inline callees and partial-inline ones', () => {
    const p = handProfile([
      [[['main.leaf', 'main.mid'], ['main.main']], 3000], // leaf inlined into mid
      [[['main.leaf'], ['main.other']], 1000], // leaf called normally
      [[['main.solo', 'main.wrap'], ['main.main']], 2000],
    ]);
    const rows = topReport(p).rows;
    const byName = Object.fromEntries(rows.map((r) => [r.function, r]));
    expect(byName['main.leaf']).toMatchObject({ flat: 4000, cum: 4000, inline: 'partial-inline' });
    expect(byName['main.solo']).toMatchObject({ flat: 2000, inline: 'inline' });
    expect(byName['main.mid']).toMatchObject({ flat: 0, cum: 3000, inline: '' });
    expect(byName['main.main']).toMatchObject({ flat: 0, cum: 5000 });
  });

  it('counts recursion once in cum and sorts by |flat|, then name', () => {
    const p = handProfile([
      [[['main.r'], ['main.r'], ['main.r'], ['main.main']], 500],
      [[['main.b']], 500],
      [[['main.a']], 500],
    ]);
    const r = topReport(p);
    expect(r.rows.map((x) => [x.function, x.flat, x.cum])).toEqual([
      ['main.a', 500, 500],
      ['main.b', 500, 500],
      ['main.r', 500, 500],
      ['main.main', 0, 500],
    ]);
    expect(r.total).toBe(1500);
  });

  it('names frames without functions after the mapping file, or <unknown>', () => {
    const m: Mapping = { id: 1, start: 0, limit: 0x10000, offset: 0, file: '/usr/lib/libfoo.so', buildId: 'b1', hasFunctions: false };
    const named = handProfile([[[[], ['main.main']], 100]], m);
    expect(topReport(named).rows.map((r) => r.function)).toEqual(['[libfoo.so]', 'main.main']);
    const bare = handProfile([[[[], ['main.main']], 100]]);
    expect(topReport(bare).rows.map((r) => r.function)).toEqual(['<unknown>', 'main.main']);
    expect(formatTop(topReport(named)).split('\n').slice(0, 3)).toEqual(['File: libfoo.so', 'Build ID: b1', 'Type: inuse_space']);
  });

  it('drops nodes under 0.5% of the net sum and prints the cutoff of the total', () => {
    const p = handProfile([
      [[['main.big'], ['main.main']], 100000],
      [[['main.tiny'], ['main.main']], 400],
    ]);
    const r = topReport(p);
    expect(r.droppedNodes).toBe(1);
    expect(r.rows.map((x) => x.function)).toEqual(['main.big', 'main.main']);
    expect(r.allRows.map((x) => x.function)).toEqual(['main.big', 'main.tiny', 'main.main']);
    // Output verified against Go 1.19's `go tool pprof -top`.
    expect(formatTop(r)).toBe(
      [
        'Type: inuse_space',
        'Showing nodes accounting for 97.66kB, 99.60% of 98.05kB total',
        'Dropped 1 node (cum <= 0.49kB)',
        '      flat  flat%   sum%        cum   cum%',
        '   97.66kB 99.60% 99.60%    97.66kB 99.60%  main.big',
        '         0     0% 99.60%    98.05kB   100%  main.main',
        '',
      ].join('\n'),
    );
  });

  it('counts samples whose locations the profile does not list, or lists under clashing ids', () => {
    const p = handProfile([
      [[['main.leaf', 'main.mid'], ['main.main']], 3000],
      [[['main.leaf'], ['main.other']], 1000],
    ]);
    const expected = formatTop(topReport(p));
    expect(formatTop(topReport({ ...p, locations: [] }))).toBe(expected);
    const clashing = { ...p, locations: p.locations.map((l) => ({ ...l, id: 1 })) };
    expect(formatTop(topReport(clashing))).toBe(expected);
    expect(expected).toContain('main.leaf (partial-inline)');
  });

  it('a self-diff prints only the header', () => {
    const p = handProfile([[[['main.a'], ['main.main']], 4096]]);
    const r = topReport(p, { base: p });
    expect(r.rows).toEqual([]);
    expect(formatTop(r)).toBe(
      'Type: inuse_space\nShowing nodes accounting for 0, 0% of 4kB total\n      flat  flat%   sum%        cum   cum%\n',
    );
  });

  it('shows shrinking functions with negative values and positive percentages, largest first', () => {
    const base = handProfile([
      [[['main.gone'], ['main.main']], 300000],
      [[['main.grow'], ['main.main']], 100000],
    ]);
    const next = handProfile([[[['main.grow'], ['main.main']], 250000]]);
    const r = topReport(next, { base });
    expect(r.total).toBe(400000);
    expect(r.rows.map((x) => [x.function, x.flat])).toEqual([
      ['main.gone', -300000],
      ['main.grow', 150000],
      ['main.main', 0],
    ]);
    // Output verified against Go 1.19's `go tool pprof -top -diff_base`.
    expect(formatTop(r)).toBe(
      [
        'Type: inuse_space',
        'Showing nodes accounting for -146.48kB, 37.50% of 390.62kB total',
        '      flat  flat%   sum%        cum   cum%',
        ' -292.97kB 75.00% 75.00%  -292.97kB 75.00%  main.gone',
        '  146.48kB 37.50% 37.50%   146.48kB 37.50%  main.grow',
        '         0     0% 37.50%  -146.48kB 37.50%  main.main',
        '',
      ].join('\n'),
    );
  });
});

describe('sample index selection', () => {
  const types = [
    { type: 'alloc_objects', unit: 'count' },
    { type: 'alloc_space', unit: 'bytes' },
    { type: 'inuse_objects', unit: 'count' },
    { type: 'inuse_space', unit: 'bytes' },
  ];
  it('defaults to default_sample_type, else the last type', () => {
    expect(sampleIndexOf(types, '')).toBe(3);
    expect(sampleIndexOf(types, 'alloc_space')).toBe(1);
  });
  it('accepts names, numbers and inuse_-less legacy names', () => {
    expect(sampleIndexOf(types, '', 'inuse_objects')).toBe(2);
    expect(sampleIndexOf(types, '', '0')).toBe(0);
    expect(sampleIndexOf(types, '', 1)).toBe(1);
    expect(sampleIndexOf([{ type: 'space', unit: 'bytes' }], '', 'inuse_space')).toBe(0);
  });
  it('names the stage and the choices when the index is wrong', () => {
    expect(() => sampleIndexOf(types, '', 'cpu')).toThrow(
      'selecting sample type: sample_index "cpu" must be one of: [alloc_objects alloc_space inuse_objects inuse_space]',
    );
    expect(() => sampleIndexOf(types, '', 4)).toThrow('outside the range [0..3]');
  });
});
