/**
 * Heap diff speed and memory against the real tool (`npm run bench:diff`).
 *
 * Synthesises two heap profiles of 128,000 samples each (in a child process), then runs
 * `leakwatch diff a b` cold, as a user does (a fresh process started through the executable, so
 * module loading and the bin's node flags count), and `go tool pprof -top -diff_base a b`,
 * interleaved in the same run. Checks both print the same report and prints wall times, peak
 * RSS and the ratio. Goal: under a tenth of the tool's time, under 200 MB. An in-process
 * breakdown (decode / diff / format) follows, for profiling.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeProfile } from '../../src/profile/decode.js';
import { encodeProfile, encodeProfileProto } from '../../src/profile/encode.js';
import type { Location, Mapping, Profile, ProfileFunction, ProfileSample } from '../../src/profile/model.js';
import { formatTop, topReport } from '../../src/profile/top.js';
import { heapProfile } from './decode.js';
import { PRODUCT_CLI } from './paths.js';

const SAMPLES = 128_000;
const RUNS = 3;
const FUNCTIONS = 4000;
const LOCATIONS = 16000;

/** Deterministic PRNG (LCG): the same pair every run. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n;
}

/**
 * A heap profile shaped like a big service's: stacks share call-tree prefixes, one location in
 * five carries an inlined call, and samples are split by allocation size like runtime buckets.
 */
function heapPair(): [Profile, Profile] {
  const rand = rng(7);
  const mapping: Mapping = { id: 1, start: 0x400000, limit: 0x3000000, offset: 0, file: '/usr/local/bin/svc', buildId: '', hasFunctions: true };
  const functions: ProfileFunction[] = Array.from({ length: FUNCTIONS }, (_, i) => {
    const name = `github.com/example/svc/pkg${i % 113}.(*T${i % 17}).M${i}`;
    return { id: i + 1, name, systemName: name, filename: `/src/svc/pkg${i % 113}/f${i % 9}.go`, startLine: 10 + (i % 700) };
  });
  const locations: Location[] = Array.from({ length: LOCATIONS }, (_, i) => ({
    id: i + 1,
    mapping,
    address: 0x401000 + i * 40,
    lines: Array.from({ length: i % 5 === 0 ? 2 : 1 }, (_, j) => ({ function: functions[(i * 7 + j * 131) % FUNCTIONS], line: 20 + (i % 400) })),
    isFolded: false,
  }));
  // 600 call paths from main; samples extend one of them by a few random frames.
  const roots = Array.from({ length: 600 }, () => Array.from({ length: 3 + rand(6) }, () => locations[rand(LOCATIONS)]));
  const base: ProfileSample[] = [];
  const next: ProfileSample[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const leafFirst = [...Array.from({ length: 1 + rand(6) }, () => locations[rand(LOCATIONS)]), ...roots[rand(roots.length)]];
    const size = 16 << rand(9);
    const objects = 1 + rand(3000);
    const inuse = rand(objects + 1);
    const values = [objects, objects * size, inuse, inuse * size];
    const labels = [{ key: 'bytes', num: size }];
    base.push({ locations: leafFirst, values, labels });
    // NEW: most sites unchanged, some grew (allocation is cumulative), a few leak hard.
    const grow = rand(10) < 3 ? 1 + rand(4) : 0;
    const leak = i % 997 === 0 ? 200 : 0;
    const nextInuse = inuse + grow + leak;
    next.push({ locations: leafFirst, values: [objects + grow + leak, (objects + grow + leak) * size, nextInuse, nextInuse * size], labels });
  }
  const profile = (samples: ProfileSample[], timeNanos: bigint): Profile =>
    heapProfile({ timeNanos, mappings: [mapping], locations, functions, samples });
  return [profile(base, 1795686235000000000n), profile(next, 1795686295000000000n)];
}

function synthesise(dir: string): void {
  const [base, next] = heapPair();
  writeFileSync(join(dir, 'a.pb.gz'), encodeProfile(base));
  writeFileSync(join(dir, 'b.pb.gz'), encodeProfile(next));
  writeFileSync(join(dir, 'sizes.json'), JSON.stringify([encodeProfileProto(base).length, encodeProfileProto(next).length]));
}

interface OurRun {
  ms: number;
  decodeMs: number;
  diffMs: number;
  formatMs: number;
}

/** Breakdown of one decode + diff + format inside this process (not what a user waits for). */
function inProcess(a: string, b: string): OurRun {
  const start = performance.now();
  const base = decodeProfile(readFileSync(a));
  const next = decodeProfile(readFileSync(b));
  const decoded = performance.now();
  const report = topReport(next, { base });
  const diffed = performance.now();
  formatTop(report);
  const end = performance.now();
  return { ms: end - start, decodeMs: decoded - start, diffMs: diffed - decoded, formatMs: end - diffed };
}

interface ColdRun {
  ms: number;
  /** User + system CPU time of the process (NaN without GNU time): steadier than wall time on a busy machine. */
  cpuMs: number;
  maxRssKb: number;
  text: string;
}

/** One fresh process under GNU time (for its peak RSS when present), timed from spawn to exit. */
function timed(cmd: string, args: string[]): ColdRun {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const start = performance.now();
  const r = timeBin
    ? spawnSync(timeBin, ['-f', 'MAXRSS %M CPU %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const m = /MAXRSS (\d+) CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  // Without GNU time, fall back to the children's high-water mark seen by this process.
  const maxRssKb = m ? Number(m[1]) : process.resourceUsage().maxRSS;
  const cpuMs = m ? (Number(m[2]) + Number(m[3])) * 1000 : NaN;
  return { ms, cpuMs, maxRssKb, text: r.stdout };
}

/** `leakwatch diff a b` as installed: the executable itself, its #! line's environment included. */
const ourCli = (a: string, b: string): ColdRun => timed(PRODUCT_CLI, ['diff', a, b]);
const goTool = (a: string, b: string): ColdRun => timed('go', ['tool', 'pprof', '-top', '-diff_base', a, b]);

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const mb = (kb: number): string => (kb / 1024).toFixed(0);

function main(): void {
  if (process.argv[2] === '--synthesise') return synthesise(process.argv[3]);
  const goPresent = spawnSync('go', ['version']).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-bench-diff-'));
  try {
    const made = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--synthesise', dir], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error('synthesising profiles failed');
    const a = join(dir, 'a.pb.gz');
    const b = join(dir, 'b.pb.gz');
    const sizes = JSON.parse(readFileSync(join(dir, 'sizes.json'), 'utf8')) as number[];

    // Interleaved, so both sides see the same machine load.
    const cli: ColdRun[] = [];
    const go: ColdRun[] = [];
    for (let i = 0; i < RUNS; i++) {
      cli.push(ourCli(a, b));
      if (goPresent) go.push(goTool(a, b));
    }
    const cliMs = median(cli.map((r) => r.ms));
    const cliCpuMs = median(cli.map((r) => r.cpuMs));
    const cliRssKb = Math.max(...cli.map((r) => r.maxRssKb));

    console.log(`heap diff of two synthetic profiles, ${SAMPLES} samples each`);
    console.log(`  proto sizes: ${sizes.map((s) => (s / 1e6).toFixed(2) + ' MB').join(', ')} decompressed; ` +
      `${[a, b].map((f) => (readFileSync(f).length / 1e6).toFixed(2) + ' MB').join(', ')} gzip'd`);
    console.log(`  leakwatch diff a b (cold, fresh process): ${cliMs.toFixed(0)} ms (median of ${RUNS}: ` +
      `${cli.map((r) => r.ms.toFixed(0)).join(', ')}); CPU ${cliCpuMs.toFixed(0)} ms; peak RSS ${mb(cliRssKb)} MB`);
    if (goPresent) {
      const goMs = median(go.map((r) => r.ms));
      const goCpuMs = median(go.map((r) => r.cpuMs));
      const goRssKb = Math.max(...go.map((r) => r.maxRssKb));
      const same = go[0].text.split('\n').filter((l) => !l.startsWith('Time: ')).join('\n') === cli[0].text;
      console.log(`  go tool pprof -top -diff_base a b:      ${goMs.toFixed(0)} ms (median of ${RUNS}: ` +
        `${go.map((r) => r.ms.toFixed(0)).join(', ')}); CPU ${goCpuMs.toFixed(0)} ms; peak RSS ${mb(goRssKb)} MB`);
      console.log(`  same -top output: ${same ? 'yes' : 'NO'}`);
      console.log(`  ratio (leakwatch diff / go tool, medians): ${(cliMs / goMs).toFixed(3)}  (goal <= 0.1); ` +
        `CPU time ratio ${(cliCpuMs / goCpuMs).toFixed(3)}`);
      console.log(`  memory: ${mb(cliRssKb)} MB vs ${mb(goRssKb)} MB  (goal <= 200 MB)`);
    } else {
      console.log('  go tool pprof: skipped (no `go` on PATH)');
    }

    const first = inProcess(a, b);
    const warm = [1, 2, 3].map(() => inProcess(a, b).ms);
    console.log(`  in-process breakdown, first call: decode ${first.decodeMs.toFixed(0)} ms, diff ${first.diffMs.toFixed(0)} ms, ` +
      `format ${first.formatMs.toFixed(0)} ms; warm total ${median(warm).toFixed(0)} ms (median of 3)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
