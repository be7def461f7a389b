/**
 * Heap diff speed and memory against the real tool (`npm run bench:diff`).
 *
 * Synthesises two heap profiles of 100,000+ samples (a child process writes them, so this
 * process's peak RSS covers only the measured work), then times decode + diff + format here and
 * `go tool pprof -top -diff_base a b` on the same pair, checks both print the same report, and
 * prints wall times, peak RSS and the ratio. Goal: under a tenth of the tool's time, under 200 MB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeProfile } from '../profile/decode.js';
import { encodeProfile, encodeProfileProto } from '../profile/encode.js';
import type { Location, Mapping, Profile, ProfileFunction, ProfileSample } from '../profile/model.js';
import { formatTop, topReport } from '../profile/top.js';
import { heapProfile } from './decode.js';

const SAMPLES = 100_000;
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
  /** Peak RSS (kB) once both profiles were decoded. */
  decodedRssKb: number;
  text: string;
}

function ours(a: string, b: string): OurRun {
  const start = performance.now();
  const base = decodeProfile(readFileSync(a));
  const next = decodeProfile(readFileSync(b));
  const decoded = performance.now();
  const decodedRssKb = process.resourceUsage().maxRSS;
  const report = topReport(next, { base });
  const diffed = performance.now();
  const text = formatTop(report);
  const end = performance.now();
  return { ms: end - start, decodeMs: decoded - start, diffMs: diffed - decoded, formatMs: end - diffed, decodedRssKb, text };
}

function goTool(a: string, b: string): { ms: number; maxRssKb: number; text: string } {
  const args = ['tool', 'pprof', '-top', '-diff_base', a, b];
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const start = performance.now();
  const r = timeBin
    ? spawnSync(timeBin, ['-f', 'MAXRSS %M', 'go', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync('go', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`go tool pprof failed: ${r.stderr}`);
  const m = /MAXRSS (\d+)/.exec(r.stderr);
  // Without GNU time, fall back to the children's high-water mark seen by this process.
  const maxRssKb = m ? Number(m[1]) : process.resourceUsage().maxRSS;
  return { ms, maxRssKb, text: r.stdout };
}

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

    const cold = ours(a, b);
    // Peak RSS of the one-shot run (what `leakwatch diff` costs); warm repeats only add garbage.
    const ourRssKb = process.resourceUsage().maxRSS;
    const warm = [1, 2, 3, 4, 5].map(() => ours(a, b).ms);

    console.log(`heap diff of two synthetic profiles, ${SAMPLES} samples each`);
    console.log(`  proto sizes: ${sizes.map((s) => (s / 1e6).toFixed(2) + ' MB').join(', ')} decompressed; ` +
      `${[a, b].map((f) => (readFileSync(f).length / 1e6).toFixed(2) + ' MB').join(', ')} gzip'd`);
    console.log(`  leakwatch decode+diff+format: ${cold.ms.toFixed(0)} ms cold ` +
      `(decode ${cold.decodeMs.toFixed(0)}, diff ${cold.diffMs.toFixed(0)}, format ${cold.formatMs.toFixed(0)}), ` +
      `${median(warm).toFixed(0)} ms warm (median of 5)`);
    console.log(`  leakwatch peak RSS (whole node process): ${mb(ourRssKb)} MB; ${mb(cold.decodedRssKb)} MB of it reached while decoding`);
    if (!goPresent) {
      console.log('  go tool pprof: skipped (no `go` on PATH)');
      return;
    }
    const runs = [goTool(a, b), goTool(a, b), goTool(a, b)];
    const goMs = median(runs.map((r) => r.ms));
    const goRssKb = Math.max(...runs.map((r) => r.maxRssKb));
    const same = runs[0].text.split('\n').filter((l) => !l.startsWith('Time: ')).join('\n') === cold.text;
    console.log(`  go tool pprof -top -diff_base:  ${goMs.toFixed(0)} ms (median of 3); peak RSS ${mb(goRssKb)} MB`);
    console.log(`  same -top output: ${same ? 'yes' : 'NO'}`);
    console.log(`  ratio (leakwatch cold / go tool): ${(cold.ms / goMs).toFixed(3)}  (goal < 0.1); ` +
      `warm: ${(median(warm) / goMs).toFixed(3)}`);
    console.log(`  memory: ${mb(ourRssKb)} MB vs ${mb(goRssKb)} MB  (goal < 200 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
