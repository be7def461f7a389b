/**
 * The oracle is `go tool pprof -top` itself: every case below runs the real tool at test time on
 * the same files and compares stdout byte for byte (minus the zone-dependent Time: line).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topGrowth } from '../../src/profile/attribution.js';
import { decodeProfile } from '../../src/profile/decode.js';
import { diffProfile } from '../../src/profile/diff.js';
import { encodeProfile } from '../../src/profile/encode.js';
import { goroutineGrowth } from '../../src/profile/goroutines.js';
import type { Profile } from '../../src/profile/model.js';
import { heapProfile } from '../bench/decode.js';
import { formatTop, topReport, type TopOptions } from '../../src/profile/top.js';
import { goAvailable, goPprofAsync, startTarget, type RunningTarget } from '../helpers/go.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/pprof');
const withoutTime = (s: string): string =>
  s
    .split('\n')
    .filter((l) => !l.startsWith('Time: '))
    .join('\n');

/** Our -top for NEXT (against BASE), and the real tool's on the same files. */
async function compare(nextFile: string, opts: { baseFile?: string; mode?: 'diff_base' | 'base'; sampleIndex?: string } = {}): Promise<void> {
  const load = (f: string): Profile => decodeProfile(readFileSync(f));
  const top: TopOptions = { mode: opts.mode, sampleIndex: opts.sampleIndex };
  const args = ['-top'];
  if (opts.sampleIndex) args.push(`-sample_index=${opts.sampleIndex}`);
  if (opts.baseFile) {
    top.base = load(opts.baseFile);
    args.push(`-${opts.mode ?? 'diff_base'}`, opts.baseFile);
  }
  args.push(nextFile);
  const ours = formatTop(topReport(load(nextFile), top));
  expect(ours, args.join(' ')).toBe(withoutTime(await goPprofAsync(args)));
}

let written = 0;

/** `go tool pprof -top` of our written diff equals `-top -diff_base` of the pair. */
async function compareWrittenDiff(dir: string, baseFile: string, nextFile: string, sampleIndex?: string): Promise<void> {
  const out = join(dir, `diff-${++written}.pb.gz`);
  writeFileSync(out, encodeProfile(diffProfile(decodeProfile(readFileSync(baseFile)), decodeProfile(readFileSync(nextFile)))));
  const idx = sampleIndex ? [`-sample_index=${sampleIndex}`] : [];
  const [ours, tools] = await Promise.all([goPprofAsync(['-top', ...idx, out]), goPprofAsync(['-top', ...idx, '-diff_base', baseFile, nextFile])]);
  expect(withoutTime(ours)).toBe(withoutTime(tools));
}

/**
 * Runs the checks four at a time: each waits mostly on a `go tool pprof` process, and the suite
 * runs some hundred of them. Every check still runs and asserts.
 */
async function checkAll(checks: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < checks.length) await checks[next++]!();
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}

const SAMPLE_INDEXES = [undefined, 'inuse_objects', 'alloc_space'];

/**
 * Seeded odd heap profiles: unnamed functions, locations without lines or mappings, inlining,
 * recursion, repeated names in different files, duplicate samples, labels, negative values
 * (profiles that are themselves diffs), magnitudes from bytes to hundreds of GB.
 */
function oddPair(seed: number): [Profile, Profile] {
  let s = seed;
  const ri = (n: number): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const pick = <T>(a: T[]): T => a[ri(a.length)];
  const mappings = [
    { id: 1, start: 0x400000, limit: 0x800000, offset: 0, file: pick(['/x/bin/srv', '', '/y/app']), buildId: pick(['', 'abc123']), hasFunctions: true },
    { id: 2, start: 0x7f0000000000, limit: 0x7f0000100000, offset: 0, file: '/lib/libc.so.6', buildId: '', hasFunctions: true },
  ];
  const nf = 3 + ri(25);
  const functions = Array.from({ length: nf }, (_, i) => ({
    id: i + 1,
    name: ri(10) < 7 ? `f${ri(nf)}.${pick(['x', 'y'])}` : pick(['main.a', 'runtime.main', 'main.(*T).m', 'Alpha.x', '']),
    systemName: '',
    filename: pick(['/s/a.go', '/s/b.go']),
    startLine: ri(3),
  }));
  const locations = Array.from({ length: 3 + ri(40) }, (_, i) => ({
    id: i + 1,
    mapping: ri(20) === 0 ? null : pick(mappings),
    address: 0x400000 + ri(1 << 20),
    lines: Array.from({ length: ri(10) === 0 ? 0 : ri(10) < 7 ? 1 : 2 + ri(2) }, () => ({ function: pick(functions), line: ri(100) })),
    isFolded: false,
  }));
  const samples = (n: number, negative: boolean): Profile['samples'] => {
    const out: Profile['samples'] = [];
    for (let i = 0; i < n; i++) {
      const locs = Array.from({ length: 1 + ri(8) }, () => pick(locations));
      const values = [0, 0, 0, 0].map(() => (ri(7) === 0 ? 0 : [1, 1e2, 1e4, 1e6, 3e8][ri(5)] * (1 + ri(1000)) * (negative && ri(3) === 0 ? -1 : 1)));
      const labels = ri(2) === 0 ? [{ key: 'bytes', num: pick([8, 16, 1024]) }] : [];
      out.push({ locations: locs, values, labels });
      if (ri(10) === 0) out.push({ locations: locs, values: values.map((v) => (ri(2) === 0 ? -v : v)), labels });
    }
    return out;
  };
  const profile = (smp: Profile['samples']): Profile =>
    heapProfile({ timeNanos: 1700000000000000000n, comments: ri(5) === 0 ? ['hello', '#hidden'] : [], mappings, locations, functions, samples: smp });
  const n = ri(2) === 0 ? 6 : 300;
  const base = profile(samples(1 + ri(n), ri(5) === 0));
  const next =
    ri(2) === 0
      ? profile(samples(1 + ri(n), ri(5) === 0))
      : profile(base.samples.map((x) => ({ ...x, values: x.values.map((v) => (ri(3) === 0 ? Math.round(v * (ri(100) / 100)) : v)) })));
  return [base, next];
}

describe.skipIf(!goAvailable())('profile diffs against the real go tool pprof', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'leakwatch-diff-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const dir of ['out119', 'out123']) {
    const f = (name: string): string => join(FIXTURES, dir, name);
    it(`${dir}: single profiles, diffs, reversed diffs, -base, allocs bases, delta profiles`, async () => {
      await checkAll([
        ...SAMPLE_INDEXES.flatMap((sampleIndex) => [
          () => compare(f('new.pb.gz'), { sampleIndex }),
          () => compare(f('new.pb.gz'), { baseFile: f('base.pb.gz'), sampleIndex }),
          () => compare(f('base.pb.gz'), { baseFile: f('new.pb.gz'), sampleIndex }),
          () => compare(f('new.pb.gz'), { baseFile: f('base.pb.gz'), mode: 'base', sampleIndex }),
          () => compare(f('base.pb.gz'), { baseFile: f('new.pb.gz'), mode: 'base', sampleIndex }),
          () => compare(f('new.pb.gz'), { baseFile: f('base_allocs.pb.gz'), sampleIndex }),
          () => compare(f('heap_delta.pb.gz'), { sampleIndex }),
        ]),
        () => compare(f('new.pb.gz'), { baseFile: f('base_allocs.pb.gz') }),
        () => compare(f('goroutine.pb.gz')),
      ]);
    });

    it(`${dir}: the written diff opens in go tool pprof with the -diff_base rows`, async () => {
      await checkAll(SAMPLE_INDEXES.flatMap((sampleIndex) => [
        () => compareWrittenDiff(tmp, f('base.pb.gz'), f('new.pb.gz'), sampleIndex),
        () => compareWrittenDiff(tmp, f('new.pb.gz'), f('base.pb.gz'), sampleIndex),
      ]));
    });
  }

  it('odd synthetic profiles: -diff_base, -base and the written diff agree with the tool', async () => {
    const checks: (() => Promise<void>)[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const [base, next] = oddPair(seed);
      const a = join(tmp, `odd_${seed}_a.pb.gz`);
      const b = join(tmp, `odd_${seed}_b.pb.gz`);
      writeFileSync(a, encodeProfile(base));
      writeFileSync(b, encodeProfile(next));
      const sampleIndex = [undefined, 'inuse_space', 'alloc_objects'][seed % 3];
      checks.push(
        () => compare(b, { baseFile: a, sampleIndex }),
        () => compare(b, { baseFile: a, mode: 'base', sampleIndex }),
        () => compareWrittenDiff(tmp, a, b, sampleIndex),
      );
      // A lone profile with mixed-sign duplicates is merged first by Go 1.19 only (newer pprof and we do not).
      if (!next.samples.some((x) => x.values.some((v) => v < 0))) checks.push(() => compare(b, { sampleIndex }));
    }
    await checkAll(checks);
  });

  it('across Go versions (1.19 base, 1.23 new)', async () => {
    await compare(join(FIXTURES, 'out123/new.pb.gz'), { baseFile: join(FIXTURES, 'out119/base.pb.gz') });
    await compare(join(FIXTURES, 'out123/new.pb.gz'), { baseFile: join(FIXTURES, 'out119/base.pb.gz'), mode: 'base' });
  });

  describe('live profiles from the Go target', () => {
    let target: RunningTarget | undefined;
    afterAll(async () => {
      await target?.stop();
    });

    async function fetchTo(url: string, file: string): Promise<string> {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
      writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
      return file;
    }
    const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

    it('a leaking heap: same -top as the tool, and the leak is the top growth', async () => {
      target = await startTarget(['-mode', 'leak', '-rate', '4000000', '-memprofilerate', '4096']);
      await sleep(1000);
      const a = await fetchTo(`${target.base}/debug/pprof/heap?gc=1`, join(tmp, 'live_a.pb.gz'));
      await sleep(3000);
      const b = await fetchTo(`${target.base}/debug/pprof/heap?gc=1`, join(tmp, 'live_b.pb.gz'));
      const allocs = await fetchTo(`${target.base}/debug/pprof/allocs`, join(tmp, 'live_allocs.pb.gz'));
      // Time-valued samples: the Duration line carries a percentage.
      const cpu = await fetchTo(`${target.base}/debug/pprof/profile?seconds=1`, join(tmp, 'live_cpu.pb.gz'));
      await target.stop();
      target = undefined;

      await checkAll([
        ...[...SAMPLE_INDEXES, 'alloc_objects'].flatMap((sampleIndex) => [
          () => compare(b, { sampleIndex }),
          () => compare(b, { baseFile: a, sampleIndex }),
          () => compare(a, { baseFile: b, sampleIndex }),
          () => compare(b, { baseFile: a, mode: 'base', sampleIndex }),
          () => compareWrittenDiff(tmp, a, b, sampleIndex),
        ]),
        () => compare(allocs, { baseFile: a }),
        () => compare(cpu),
        () => compare(cpu, { sampleIndex: 'samples' }),
      ]);

      const growth = topGrowth(decodeProfile(readFileSync(a)), decodeProfile(readFileSync(b)));
      expect(growth[0].function).toBe('main.(*sessionStore).remember');
      // ~3 s at 4 MB/s, sampled: within a generous factor, and most of the net growth.
      expect(growth[0].deltaBytes).toBeGreaterThan(4_000_000);
      expect(growth[0].deltaBytes).toBeLessThan(40_000_000);
      expect(growth[0].deltaObjects).toBeGreaterThan(0);
      expect(growth[0].share).toBeGreaterThan(0.5);
    });

    it('leaking goroutines: same -top as the tool, and the blocking function is named', async () => {
      target = await startTarget(['-mode', 'goroutines', '-rate', '50']);
      await sleep(500);
      const a = await fetchTo(`${target.base}/debug/pprof/goroutine`, join(tmp, 'g_a.pb.gz'));
      await sleep(2000);
      const b = await fetchTo(`${target.base}/debug/pprof/goroutine`, join(tmp, 'g_b.pb.gz'));
      await target.stop();
      target = undefined;

      await checkAll([
        () => compare(b),
        () => compare(b, { baseFile: a }),
        () => compare(a, { baseFile: b }),
        () => compare(b, { baseFile: a, mode: 'base' }),
        () => compareWrittenDiff(tmp, a, b),
      ]);

      const grown = goroutineGrowth(decodeProfile(readFileSync(a)), decodeProfile(readFileSync(b)));
      expect(grown[0].function).toBe('main.subscribe');
      expect(grown[0].stack[0]).toBe('runtime.gopark');
      expect(grown[0].stack).toContain('main.subscribe');
      // ~2 s at 50/s.
      expect(grown[0].delta).toBeGreaterThan(40);
      expect(grown[0].count).toBeGreaterThanOrEqual(grown[0].delta);
    });
  });
});
