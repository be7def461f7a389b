/**
 * Real Go targets for tests. When `go` is missing the Go tests skip with a loud message,
 * unless LEAKWATCH_REQUIRE_GO=1 (set by .ci/run), which turns a missing Go into a failure.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../bench/paths.js';

/** From the repository root, so the compiled benches (.bench/test/…) build the same program. */
export const TARGET_SRC = join(ROOT, 'test/go/target');

let cachedGo: boolean | undefined;

export function goAvailable(): boolean {
  if (cachedGo === undefined) {
    try {
      execFileSync('go', ['version'], { stdio: 'ignore' });
      cachedGo = true;
    } catch {
      cachedGo = false;
    }
  }
  if (!cachedGo && process.env.LEAKWATCH_REQUIRE_GO === '1') {
    throw new Error('LEAKWATCH_REQUIRE_GO=1 but no `go` on PATH: install golang-go');
  }
  if (!cachedGo && !warned) {
    warned = true;
    console.warn('\n*** SKIPPING Go-target tests: no `go` on PATH (apt-get install golang-go) ***\n');
  }
  return cachedGo;
}
let warned = false;

/** Builds test/go/target once per source hash (tests and benches share the build); returns the binary path. */
export function buildTarget(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(TARGET_SRC).sort()) h.update(f).update(readFileSync(join(TARGET_SRC, f)));
  const dir = join(tmpdir(), 'leakwatch-go', h.digest('hex').slice(0, 16));
  const bin = join(dir, 'target');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}`;
    execFileSync('go', ['build', '-trimpath', '-o', tmp, '.'], {
      cwd: TARGET_SRC,
      env: { ...process.env, GOFLAGS: '-mod=mod', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'leakwatch-gocache') },
      stdio: 'inherit',
    });
    execFileSync('mv', [tmp, bin]);
  }
  return bin;
}

/**
 * The address a Go program prints as `LISTENING <addr>` once it serves; rejects (and kills it) when
 * it exits first or says nothing within `timeoutMs`.
 */
export function waitListening(proc: ChildProcess, timeoutMs: number, what: string): Promise<string> {
  return new Promise((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      fail(new Error(`${what} did not start in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /LISTENING (\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${what} exited with ${code} before listening`));
    });
  });
}

export interface RunningTarget {
  /** e.g. http://127.0.0.1:41234 */
  base: string;
  pid: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the target (or another built program `bin`) with the given flags (e.g. ['-mode','leak','-rate','2000000']). */
export async function startTarget(args: string[], bin = buildTarget()): Promise<RunningTarget> {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const addr = await waitListening(proc, 10_000, 'target');
  return {
    base: `http://${addr}`,
    pid: proc.pid!,
    proc,
    stop: () =>
      new Promise<void>((ok) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return ok();
        proc.once('exit', () => ok());
        proc.kill('SIGKILL');
      }),
  };
}

let pprofBin: string | undefined;

/**
 * The pprof binary `go tool pprof` runs (GOTOOLDIR/pprof), called directly: the suite runs it
 * hundreds of times and the `go` command in front costs a process start and an environment
 * lookup each time.
 */
function pprofPath(): string {
  pprofBin ??= join(execFileSync('go', ['env', 'GOTOOLDIR'], { encoding: 'utf8' }).trim(), 'pprof');
  return pprofBin;
}

const PPROF_ENV = (): NodeJS.ProcessEnv => ({ ...process.env, PPROF_TMPDIR: join(tmpdir(), 'leakwatch-pprof') });

/** Runs `go tool pprof` with args (the same binary, without the `go` command); returns stdout. */
export function goPprof(args: string[]): string {
  return execFileSync(pprofPath(), args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 256 << 20,
    env: PPROF_ENV(),
  });
}

/** goPprof without blocking: several runs of the tool can overlap. */
export async function goPprofAsync(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(pprofPath(), args, { encoding: 'utf8', maxBuffer: 256 << 20, env: PPROF_ENV() });
  return stdout;
}
