/**
 * The real Go programs (test/go/target) that stand for the service shapes of issue 11, the
 * compressed-time settings they are watched with, and a small supervisor that runs one: it
 * writes the program's pid file and, for a program with `-lifetime`, restarts it on the same
 * address each time it exits, as systemd or Kubernetes would. Shared by the live test
 * (test/integration/daemon-detect-live2.test.ts) and the trace recorder (record-traces.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metric } from '../../src/model/incident.js';
import { waitListening } from './go-target.js';

/**
 * Time runs k = 30 times faster than in production: a 1 s scrape stands for 30 s, the 40 s window
 * for 20 min, the 5 s warm-up for 2.5 min. Growth per hour scales by k, so the thresholds are the
 * product's defaults (10MB/h heap, 20MB/h Sys and RSS, 100/h goroutines) times 30: what an
 * operator who keeps the defaults would be paged for, at this clock.
 */
export const COMPRESSED = {
  schedule: '* * * * * *',
  window: '40s',
  warmup: '5s',
  thresholds: { heapGrowth: '300MB/h', sysGrowth: '600MB/h', rssGrowth: '600MB/h', goroutineGrowth: '3000/h' },
} as const;

export interface GoProgram {
  /** Service name, and the trace's file name. */
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** Restart the program on the same address whenever it exits (it has `-lifetime`). */
  restart?: boolean;
  /** What a watchdog should say: the metric that leaks, or null for a normal service. */
  leaks: Metric | null;
  /** Uptime (ms) at which the leak begins; 0 when it leaks from the start. */
  onsetMs?: number;
  /** Only recorded as a trace, not run by the live test. */
  recordOnly?: boolean;
  /** Why it is (not) a leak, for the test's and the recorder's output. */
  shape: string;
}

/** Rates are of the order of k × real ones: the leaks are 5–12× their thresholds. */
export const GO_PROGRAMS: readonly GoProgram[] = [
  {
    name: 'cachefill', leaks: null, args: ['-mode', 'cachefill', '-tau', '5s', '-cap', '40000000'],
    shape: 'a 40 MB cache filling along 1−e^(−t/5s): decelerating, it plateaus after about 3× the warm-up',
  },
  { name: 'batch', leaks: null, args: ['-mode', 'batch', '-cap', '24000000', '-period', '4s'], shape: '24 MB batch spikes every 4 s' },
  { name: 'idle', leaks: null, args: ['-mode', 'idle'], shape: 'an idle server: small random allocations, short-lived goroutines' },
  {
    name: 'restarts', leaks: null, restart: true,
    args: ['-mode', 'cachefill', '-tau', '6s', '-cap', '30000000', '-lifetime', '60s'],
    shape: 'restarted every 60 s; each lifetime fills a 30 MB cache with a 6 s time constant',
  },
  { name: 'leak', leaks: 'heap', args: ['-mode', 'leak', '-rate', '1000000'], shape: 'heap leak, 1 MB/s (12× the threshold)' },
  { name: 'goroutines', leaks: 'goroutines', args: ['-mode', 'goroutines', '-rate', '10'], shape: 'goroutine leak, 10/s (12× the threshold)' },
  { name: 'offheap', leaks: 'rss', args: ['-mode', 'mmap', '-rate', '1000000'], shape: 'mmap leak outside the Go heap, 1 MB/s (6× the RSS threshold)' },
  {
    name: 'spiral', leaks: 'heap',
    args: ['-mode', 'leak', '-rate', '400000', '-ballast', '40000000'],
    env: { GOMEMLIMIT: '96MiB', GOMAXPROCS: '1' },
    shape: 'GOMEMLIMIT=96MiB spiral: 40 MB live + 0.4 MB/s (5× the threshold); the GC goal is pinned at the limit from the start',
  },
  {
    name: 'cacheleak', leaks: 'heap', onsetMs: 50_000, recordOnly: true,
    args: ['-mode', 'cachefill', '-tau', '5s', '-cap', '40000000', '-onset', '50s', '-rate', '500000'],
    shape: 'the cache fill of cachefill, then from 50 s of uptime a heap leak of 0.5 MB/s (6× the threshold)',
  },
];

/** The sidecar of a recorded trace, <name>.truth.json. */
export interface TraceTruth {
  positive: boolean;
  metric: 'heap' | 'goroutines' | 'rss' | 'sys' | null;
  /** Unix ms (the trace's clock) when the leak began: the program's start; null for a normal service. */
  onsetMs: number | null;
  shape: string;
  /** Service settings to replay with (config keys and units). */
  service: { window: string; warmup: string; thresholds: Record<string, string> };
}

export interface RunningProgram {
  program: GoProgram;
  /** e.g. http://127.0.0.1:41234, the same across restarts. */
  base: string;
  /** Holds the current process's pid (rewritten at each restart). */
  pidFile: string;
  /** Unix ms when the first process started. */
  startedAt: number;
  /** Processes started so far (1 + restarts). */
  lifetimes(): number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const PORT_RETRIES = 50;

/** Starts `program` from the binary `bin`; its pid file goes in `dir`. */
export async function startProgram(bin: string, program: GoProgram, dir: string): Promise<RunningProgram> {
  const pidFile = join(dir, `${program.name}.pid`);
  let current: ChildProcess | undefined;
  let stopped = false;
  let lifetimes = 0;

  const launch = async (addr: string): Promise<string> => {
    const proc = spawn(bin, [...program.args, '-addr', addr], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...program.env } });
    current = proc;
    writeFileSync(pidFile, `${proc.pid}\n`);
    const listening = await waitListening(proc, START_TIMEOUT_MS, program.name);
    // Stopped while this restart was starting: it must not outlive the supervisor.
    if (stopped) proc.kill('SIGKILL');
    lifetimes++;
    proc.once('exit', (code) => {
      if (stopped || !program.restart) return;
      if (code !== 0) console.error(`${program.name}: exited with ${code}; restarting`);
      void relaunch(listening);
    });
    return listening;
  };
  // The old process's socket may linger for a moment: retry the same address briefly.
  const relaunch = async (addr: string): Promise<void> => {
    for (let i = 0; i < PORT_RETRIES && !stopped; i++) {
      try {
        await launch(addr);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!stopped) console.error(`${program.name}: could not restart on ${addr}`);
  };

  const startedAt = Date.now();
  const addr = await launch('127.0.0.1:0');
  return {
    program,
    base: `http://${addr}`,
    pidFile,
    startedAt,
    lifetimes: () => lifetimes,
    stop: () =>
      new Promise<void>((ok) => {
        stopped = true;
        const proc = current;
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return ok();
        proc.once('exit', () => ok());
        proc.kill('SIGKILL');
      }),
  };
}

