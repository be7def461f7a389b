/**
 * `npm run bench:overhead`: what leakwatch's scrapes cost the watched service. Builds a real Go
 * program (test/go/heavy: ~20k distinct allocation stacks, ~20k parked goroutines, pprof, expvar
 * and a client_golang-style /metrics), reads its CPU time from /proc/<pid>/stat around N requests
 * per endpoint, and prints: target CPU per request per source, then the daemon's own plan at the
 * default schedule (15 s samples, heap profiles and heap?debug=1 every 5 min, goroutine profiles
 * every quarter window at a steady count) as % of one core.
 *
 *   npm run build && npm run bench:overhead
 *   OVERHEAD_STACKS=4096 OVERHEAD_GOROUTINES=2000 npm run bench:overhead
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchBody } from '../../src/collect/http.js';
import { ScrapePlan } from '../../src/collect/plan.js';
import { captureProfiles, scrapeService } from '../../src/collect/scrape.js';
import type { ScrapeTarget } from '../../src/collect/target.js';
import { parseProcStat } from './footprint-stats.js';
import { ROOT } from './paths.js';
import { waitListening } from './go-target.js';

const SRC = join(ROOT, 'test/go/heavy');
const stacks = Number(process.env.OVERHEAD_STACKS ?? '20000');
const goroutines = Number(process.env.OVERHEAD_GOROUTINES ?? '20000');
/** USER_HZ: /proc/<pid>/stat times are in 10 ms ticks. */
const TICK_MS = 10;

/** The default schedule (design §2). */
const SAMPLE_EVERY_MS = 15_000;
/** The default window (design §4): a round takes a goroutine profile every quarter of it at a steady count. */
const DEFAULT_WINDOW_MS = 6 * 3_600_000;
const PROFILE_EVERY_MS = 300_000;
/** Acceptance (issue "Cheap, scalable collection"). */
const GOAL_CHEAP = 0.05;
const GOAL_PPROF_ONLY = 0.3;

function build(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(SRC).sort()) h.update(f).update(readFileSync(join(SRC, f)));
  const dir = join(tmpdir(), 'leakwatch-go', `heavy-${h.digest('hex').slice(0, 16)}`);
  const bin = join(dir, 'heavy');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('go', ['build', '-trimpath', '-o', bin, '.'], {
      cwd: SRC,
      env: { ...process.env, GOFLAGS: '-mod=mod', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'leakwatch-gocache') },
      stdio: 'inherit',
    });
  }
  return bin;
}

async function start(bin: string): Promise<{ base: string; pid: number; proc: ChildProcess }> {
  const proc = spawn(bin, ['-stacks', String(stacks), '-goroutines', String(goroutines)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = `http://${await waitListening(proc, 60_000, 'heavy target')}`;
  return { base, pid: proc.pid!, proc };
}

const ticks = (pid: number): number => parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpuTicks;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** The target's own CPU (ms per second of wall time) while nobody asks it anything: GC, scavenger, timers. */
async function idleRate(pid: number): Promise<number> {
  const t0 = ticks(pid);
  const w0 = performance.now();
  await sleep(3000);
  return ((ticks(pid) - t0) * TICK_MS) / (performance.now() - w0);
}

/** Target CPU ms per call of `fn`, idle activity subtracted; calls run one after another. */
async function cpuPerCall(pid: number, idle: number, n: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const t0 = ticks(pid);
  const w0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const wall = performance.now() - w0;
  return Math.max(0, (ticks(pid) - t0) * TICK_MS - idle * wall) / n;
}

/** Enough calls for ~0.5 s of target CPU (the tick is 10 ms), from one probe call. */
async function callsFor(fn: () => Promise<unknown>): Promise<number> {
  const w0 = performance.now();
  await fn();
  const ms = performance.now() - w0;
  return Math.max(5, Math.min(1000, Math.round(1000 / Math.max(ms, 0.5))));
}

const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));
const fmtSize = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} KB` : `${n} B`);
const pct = (x: number) => `${x.toFixed(3)} %`;

async function main(): Promise<void> {
  console.log(`bench:overhead: Go target with ${stacks} allocation stacks and ${goroutines} parked goroutines (${execFileSync('go', ['version'], { encoding: 'utf8' }).trim()})`);
  const target = await start(build());
  try {
    await sleep(1000);
    const idle = await idleRate(target.pid);
    console.log(`target idle CPU: ${idle.toFixed(3)} ms/s (subtracted below)\n`);

    const get = (path: string) => fetchBody(`${target.base}${path}`, { timeoutMs: 120_000, maxBytes: 1 << 30 });
    const SOURCES: [string, string][] = [
      ['`/metrics` (client_golang names, ReadMemStats)', '/metrics'],
      ['`/debug/vars` (expvar)', '/debug/vars'],
      ['`/debug/pprof/` index page (goroutine count)', '/debug/pprof/'],
      ['`heap?debug=1`', '/debug/pprof/heap?debug=1'],
      ['`goroutine?debug=1`', '/debug/pprof/goroutine?debug=1'],
      ['heap profile (proto)', '/debug/pprof/heap'],
      ['goroutine profile (proto)', '/debug/pprof/goroutine'],
    ];
    const cost: Record<string, number> = {};
    console.log('| source | body | target CPU per request |\n| --- | --- | --- |');
    for (const [label, path] of SOURCES) {
      const size = (await get(path)).length;
      const n = await callsFor(() => get(path));
      cost[path] = await cpuPerCall(target.pid, idle, n, () => get(path));
      console.log(`| ${label} | ${fmtSize(size)} | ${fmtMs(cost[path]!)} ms |`);
    }

    const base: ScrapeTarget = { name: 'heavy', timeout: 120_000, maxBodySize: 1 << 30 };
    const pprof = `${target.base}/debug/pprof`;
    const heapCapture = await cpuPerCall(target.pid, idle, 5, () => captureProfiles({ ...base, pprof }, ['heap']));
    const goroutineCapture = await cpuPerCall(target.pid, idle, 5, () => captureProfiles({ ...base, pprof }, ['goroutine']));
    // A round takes the goroutine profile every quarter window at a steady count (collect/profile-round.ts).
    const goroutineEvery = DEFAULT_WINDOW_MS / 4;
    const capture = heapCapture + goroutineCapture * (PROFILE_EVERY_MS / goroutineEvery);
    console.log(`\nprofile round: heap profile ${fmtMs(heapCapture)} ms of target CPU every ${PROFILE_EVERY_MS / 60_000} min; goroutine profile ${fmtMs(goroutineCapture)} ms every ${goroutineEvery / 60_000} min at a steady count (sooner when it moves): ${fmtMs(capture)} ms per round on average`);

    console.log(`\nthe daemon's plan at the default schedule (samples every ${SAMPLE_EVERY_MS / 1000} s, profiles and heap?debug=1 every ${PROFILE_EVERY_MS / 60_000} min):`);
    console.log('| configured | one sample | heap?debug=1 sample | target CPU, % of one core | goal | |\n| --- | --- | --- | --- | --- | --- |');
    const plans: [string, Partial<ScrapeTarget>, number][] = [
      ['metrics + pprof', { metrics: `${target.base}/metrics`, pprof }, GOAL_CHEAP],
      ['expvar + pprof', { expvar: `${target.base}/debug/vars`, pprof }, GOAL_CHEAP],
      ['pprof only', { pprof }, GOAL_PPROF_ONLY],
    ];
    const perWindow = PROFILE_EVERY_MS / SAMPLE_EVERY_MS;
    let allPass = true;
    for (const [label, over, goal] of plans) {
      const svc = { ...base, ...over };
      // A plan whose heap?debug=1 is never due again after the first scrape: the ordinary sample.
      const steady = new ScrapePlan({ heapTextEveryMs: 1e12 });
      await scrapeService(svc, undefined, { plan: steady });
      const plain = await cpuPerCall(target.pid, idle, 200, () => scrapeService(svc, undefined, { plan: steady }));
      // heap?debug=1 due at every scrape: the one sample per profile period that fetches it.
      const due = new ScrapePlan({ heapTextEveryMs: 0 });
      const r = await scrapeService(svc, undefined, { plan: due });
      const heavy = r.fetched.includes('heapText') ? await cpuPerCall(target.pid, idle, 5, () => scrapeService(svc, undefined, { plan: due })) : plain;
      const share = (((perWindow - 1) * plain + heavy + capture) / PROFILE_EVERY_MS) * 100;
      const pass = share <= goal;
      allPass &&= pass;
      console.log(`| ${label} | ${fmtMs(plain)} ms | ${heavy === plain ? '(not fetched)' : `${fmtMs(heavy)} ms`} | ${pct(share)} | ≤ ${goal} % | ${pass ? 'PASS' : 'FAIL'} |`);
    }
    const before = cost['/metrics']! + cost['/debug/vars']! + cost['/debug/pprof/heap?debug=1']! + cost['/debug/pprof/goroutine?debug=1']!;
    console.log(`| before the plan: every source on every sample | ${fmtMs(before)} ms | | ${pct(((perWindow * before + capture) / PROFILE_EVERY_MS) * 100)} | | |`);
    console.log(`\nacceptance: ≤ ${GOAL_CHEAP} % with expvar or metrics, ≤ ${GOAL_PPROF_ONLY} % pprof only: ${allPass ? 'PASS' : 'FAIL'}`);
  } finally {
    target.proc.kill('SIGKILL');
  }
}

await main();
