/**
 * Footprint bench: the real daemon (`node dist/cli/main.js run`) watching 200 replay targets on a
 * one-second schedule for N minutes (FOOTPRINT_MINUTES, default 3; FOOTPRINT_TARGETS, default 200).
 * Samples the daemon's /proc every second and prints CPU % of one core, peak RSS, the RSS slope
 * (a watchdog must not leak itself), scrape lag p50/p99 and missed scrapes as the targets saw them,
 * and the share of scheduled samples stored.
 *
 *   npm run build && npm run bench:footprint
 *
 * At production scale (footprint-fleet.ts): FOOTPRINT_PERIOD_SECONDS (default 1),
 * FOOTPRINT_PROFILE_EVERY_MINUTES (one round of captures lands in the run), FOOTPRINT_PREFILL_HOURS
 * (history stored before the daemon starts: full windows; FOOTPRINT_PREFILL_PERIOD_SECONDS apart,
 * default the schedule), FOOTPRINT_GO_PROCESSES (real Go targets,
 * the services shared among them, instead of replay targets), FOOTPRINT_SETTLE_SECONDS. E.g.
 *
 *   FOOTPRINT_TARGETS=1000 FOOTPRINT_PERIOD_SECONDS=15 FOOTPRINT_PROFILE_EVERY_MINUTES=5 \
 *   FOOTPRINT_WINDOW_SECONDS=21600 FOOTPRINT_PREFILL_HOURS=6 FOOTPRINT_SETTLE_SECONDS=60 npm run bench:footprint
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spreadOffset } from '../../src/daemon/scheduler.js';
import {
  floorSlope, leastSquaresSlope, parseProcStat, parseProcStatus, percentile, scrapeTiming, sumMetric,
} from './footprint-stats.js';
import { startReplayTargets } from './replay-targets.js';
import { cronEvery, prefill, profileCron, readTemplate, startGoTargets, storedProfiles, storedSamples } from './footprint-fleet.js';
import { PRODUCT_CLI } from './paths.js';

interface Target {
  name: string;
  pprof: string;
  expvar: string;
}

const minutes = Number(process.env.FOOTPRINT_MINUTES ?? '3');
const count = Number(process.env.FOOTPRINT_TARGETS ?? '200');
const periodSeconds = Number(process.env.FOOTPRINT_PERIOD_SECONDS ?? '1');
const profileEvery = Number(process.env.FOOTPRINT_PROFILE_EVERY_MINUTES ?? '0');
/** Decided when the config is written (after any prefill), so the capture round lands in the run. */
const profileScheduleNow = (): string => process.env.FOOTPRINT_PROFILE_SCHEDULE ?? (profileEvery > 0 ? profileCron(profileEvery, Date.now(), prefillHours > 0 ? 30_000 : 0) : '0 * * * * *');
let profileSchedule = '';
const prefillHours = Number(process.env.FOOTPRINT_PREFILL_HOURS ?? '0');
/** Spacing of the prefilled samples (default: the schedule); coarser fills the same buckets with fewer rows. */
const prefillPeriodMs = Number(process.env.FOOTPRINT_PREFILL_PERIOD_SECONDS ?? periodSeconds) * 1_000;
const goProcesses = Number(process.env.FOOTPRINT_GO_PROCESSES ?? '0');
/** The trend window: the daemon's per-service memory grows until it is full, so it is kept short. */
const windowSeconds = Number(process.env.FOOTPRINT_WINDOW_SECONDS ?? '60');
const cli = process.env.FOOTPRINT_CLI ?? PRODUCT_CLI;
/**
 * Start-up (loading, first connections) and the first trend window (in-memory windows filling)
 * are not steady state: leave them out of CPU, lag and the RSS slope.
 */
const SETTLE_MS = Number(process.env.FOOTPRINT_SETTLE_SECONDS ?? 15 + windowSeconds) * 1_000;
const PERIOD_MS = periodSeconds * 1_000;

interface ProcSample {
  t: number;
  cpuTicks: number;
  rss: number;
  hwm: number;
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', () => ok()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

function configYaml(dir: string, port: number, targets: Target[]): string {
  profileSchedule = profileScheduleNow();
  const services = targets
    .map((t) => `  - name: ${t.name}\n    pprof: ${t.pprof}\n    expvar: ${t.expvar}`)
    .join('\n');
  return `database: ${join(dir, 'leakwatch.db')}
http:
  listen: 127.0.0.1:${port}
log:
  level: warn
defaults:
  schedule: "${cronEvery(periodSeconds)}"
  profileSchedule: "${profileSchedule}"
  timeout: 2s
  window: ${windowSeconds}s
  warmup: 0s
services:
${services}
`;
}

function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const status = parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { t: Date.now(), cpuTicks: stat.cpuTicks, ...status };
  } catch {
    return null; // the process is gone
  }
}

async function waitHealthy(url: string, exited: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (exited()) throw new Error('daemon exited during start-up');
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) })).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`daemon not healthy within ${timeoutMs} ms`);
}

const mb = (b: number) => (b / 1e6).toFixed(1);

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-footprint-'));
  const replay = await startReplayTargets({ count: goProcesses > 0 ? 0 : count });
  const go = goProcesses > 0 ? await startGoTargets(goProcesses) : undefined;
  const targets: Target[] = go
    ? Array.from({ length: count }, (_, i) => {
      const base = go.bases[i % go.bases.length];
      return { name: `go-${i}`, pprof: `${base}/debug/pprof`, expvar: `${base}/debug/vars` };
    })
    : replay.targets;
  const dbPath = join(dir, 'leakwatch.db');
  if (prefillHours > 0) {
    const t0 = Date.now();
    const rows = await readTemplate(targets[0].expvar)
      .then((m) => prefill(dbPath, targets.map((t) => t.name), prefillHours, prefillPeriodMs, m))
      .catch(async (err: Error) => {
        await replay.close();
        await go?.stop();
        throw new Error(`prefill: ${err.message}`);
      });
    console.log(`prefill:        ${rows} samples (${prefillHours} h per service, every ${prefillPeriodMs / 1000} s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const port = await freePort();
  const configPath = join(dir, 'leakwatch.yaml');
  writeFileSync(configPath, configYaml(dir, port, targets));
  const url = `http://127.0.0.1:${port}`;

  // As installed: the executable itself, so its #! line's malloc setting applies (`run` sets V8's).
  const daemon = spawn(cli, ['run', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  let logLines = 0;
  const keep = (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      logLines++;
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }
  };
  daemon.stdout.on('data', keep);
  daemon.stderr.on('data', keep);
  let exitCode: number | null = null;
  const exited = new Promise<void>((ok) => daemon.once('exit', (code, signal) => ((exitCode = code ?? (signal ? 128 : 1)), ok())));

  const samples: ProcSample[] = [];
  /** V8 heap in use, from the daemon's own /metrics (process_heap_bytes), every 5 s. */
  const heap: { t: number; bytes: number }[] = [];
  let ticker: NodeJS.Timeout | undefined;
  let heapTicker: NodeJS.Timeout | undefined;
  try {
    const startedAt = Date.now();
    await waitHealthy(url, () => exitCode !== null, prefillHours > 0 ? 300_000 : 30_000);
    // Start-up (loading a prefilled database) can take minutes: the steady state counts from healthy.
    const healthyAt = Date.now();
    const kind = go ? `${count} services on ${goProcesses} real Go processes` : `${count} replay targets`;
    console.log(`footprint: ${kind}, ${periodSeconds} s schedule, profiles "${profileSchedule}", ${windowSeconds} s window, ${minutes} min, daemon pid ${daemon.pid} (healthy after ${Date.now() - startedAt} ms)`);
    ticker = setInterval(() => {
      const s = sampleProc(daemon.pid!);
      if (s) samples.push(s);
    }, 1_000);
    heapTicker = setInterval(() => {
      fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })
        .then((r) => r.text())
        .then((text) => heap.push({ t: Date.now(), bytes: sumMetric(text, 'process_heap_bytes') }))
        .catch(() => undefined); // a missed reading is fine
    }, 5_000);
    const runMs = minutes * 60_000;
    await Promise.race([new Promise((r) => setTimeout(r, runMs)), exited]);
    if (exitCode !== null) throw new Error(`daemon exited early with ${exitCode}`);
    const endAt = Date.now();
    clearInterval(ticker);
    clearInterval(heapTicker);
    const metrics = await (await fetch(`${url}/metrics`)).text();

    const from = healthyAt + SETTLE_MS;
    const steady = samples.filter((s) => s.t >= from);
    const first = steady[0];
    const last = steady[steady.length - 1];
    const cpuPct = first && last && last.t > first.t ? ((last.cpuTicks - first.cpuTicks) / clockTicks() / ((last.t - first.t) / 1000)) * 100 : NaN;
    const peak = Math.max(...samples.map((s) => s.hwm), 0);
    const slopeMbPerHour = leastSquaresSlope(steady.map((s) => ({ x: s.t / 3_600_000, y: s.rss / 1e6 })));
    const heapFloorMbPerHour = floorSlope(
      heap.filter((h) => h.t >= from).map((h) => ({ x: h.t / 3_600_000, y: h.bytes / 1e6 })),
      30 / 3_600,
    );
    const timing = scrapeTiming(
      replay.targets.map((t) => ({
        phaseMs: spreadOffset(`${t.name}/scrape`, PERIOD_MS),
        // With expvar configured, the scrape plan reads MemStats from /debug/vars on every tick.
        arrivals: t.hits.filter((h) => h.path === '/debug/vars').map((h) => h.at),
      })),
      { from, to: endAt - PERIOD_MS },
      PERIOD_MS,
    );
    const stored = storedSamples(dbPath, targets.map((t) => t.name), { from, to: endAt - PERIOD_MS }, PERIOD_MS);
    const profilesStored = storedProfiles(dbPath, { from: healthyAt, to: endAt });
    const onTime = timing.lagsMs.filter((l) => l < 1_000).length;
    const result = {
      targets: count,
      goProcesses,
      periodSeconds,
      prefillHours,
      samplesExpected: stored.expected,
      samplesStored: stored.stored,
      profilesStored,
      scrapesOnTime: onTime,
      minutes,
      windowSeconds,
      cpuPercentOfOneCore: Number(cpuPct.toFixed(1)),
      peakRssBytes: peak,
      endRssBytes: last?.rss ?? NaN,
      rssSlopeMBPerHour: Number(slopeMbPerHour.toFixed(2)),
      heapFloorSlopeMBPerHour: Number(heapFloorMbPerHour.toFixed(2)),
      scrapeLagP50Ms: percentile(timing.lagsMs, 50),
      scrapeLagP99Ms: percentile(timing.lagsMs, 99),
      scrapesExpected: timing.expected,
      scrapesMissed: timing.missed,
      daemonScrapesTotal: sumMetric(metrics, 'leakwatch_scrapes_total'),
      daemonScrapeFailuresTotal: sumMetric(metrics, 'leakwatch_scrape_failures_total'),
      daemonScrapesSkippedTotal: sumMetric(metrics, 'leakwatch_scrapes_skipped_total'),
      databaseBytes: ['leakwatch.db', 'leakwatch.db-wal'].map((f) => join(dir, f)).filter((f) => existsSync(f)).reduce((n, f) => n + statSync(f).size, 0),
      logLines,
    };
    console.log(`cpu:            ${result.cpuPercentOfOneCore}% of one core (steady state: after the first ${SETTLE_MS / 1000} s)`);
    const peakAt = samples.find((s) => s.hwm === peak);
    const peakWhen = peakAt ? ` (reached ${Math.round((peakAt.t - startedAt) / 1000)} s in)` : '';
    console.log(`rss:            peak ${mb(peak)} MB${peakWhen}, end ${mb(result.endRssBytes)} MB, slope ${result.rssSlopeMBPerHour} MB/h over the last ${steady.length} s`);
    const spaces = [...metrics.matchAll(/^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)$/gm)]
      .filter((m) => Number(m[2]) >= 1e6)
      .map((m) => `${m[1]} ${mb(Number(m[2]))}`)
      .join(', ');
    const timeline = samples.filter((_, i) => i % 15 === 14).map((s) => mb(s.rss).replace(/\.\d$/, '')).join(' ');
    console.log(`rss every 15 s: ${timeline} MB`);
    console.log(`at the end:     v8 heap ${mb(sumMetric(metrics, 'process_heap_bytes'))} MB used of ${mb(sumMetric(metrics, 'nodejs_heap_size_total_bytes'))} MB (${spaces}), external ${mb(sumMetric(metrics, 'nodejs_external_memory_bytes'))} MB`);
    console.log(`v8 heap:        floor slope ${result.heapFloorSlopeMBPerHour} MB/h (minimum per 30 s of process_heap_bytes)`);
    console.log(`scrape lag:     p50 ${result.scrapeLagP50Ms} ms, p99 ${result.scrapeLagP99Ms} ms (arrival at the target vs due time)`);
    const pct = (a: number, b: number) => ((100 * a) / Math.max(1, b)).toFixed(2);
    if (!go) {
      console.log(`missed scrapes: ${result.scrapesMissed} of ${result.scrapesExpected} (${pct(result.scrapesMissed, result.scrapesExpected)}%)`);
      console.log(`on time:        ${onTime} of ${result.scrapesExpected} scrapes arrived less than 1 s after they were due (${pct(onTime, result.scrapesExpected)}%)`);
    }
    console.log(`samples stored: ${stored.stored} of ${stored.expected} scheduled in the steady state (${pct(stored.stored, stored.expected)}%)`);
    console.log(`profiles:       ${profilesStored} stored while the daemon ran (${targets.length} services × heap + goroutine per capture round on "${profileSchedule}")`);
    console.log(`daemon says:    ${result.daemonScrapesTotal} scrapes, ${result.daemonScrapeFailuresTotal} failures, ${result.daemonScrapesSkippedTotal} skipped (the previous run still going, or a late tick); database ${mb(result.databaseBytes)} MB; ${logLines} log lines`);
    console.log(`result ${JSON.stringify(result)}`);
    return 0;
  } catch (err) {
    console.error(`footprint: ${(err as Error).message}`);
    if (tail.length > 0) console.error(`last daemon output:\n${tail.join('\n')}`);
    return 1;
  } finally {
    if (ticker) clearInterval(ticker);
    if (heapTicker) clearInterval(heapTicker);
    if (exitCode === null) {
      daemon.kill('SIGTERM');
      const killer = setTimeout(() => daemon.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    await replay.close();
    await go?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
