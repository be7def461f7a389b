/**
 * The real Go test target (test/go/target) for benches: built once per run with the local `go`,
 * started with flags, stopped with SIGKILL. Its build stays apart from test/helpers/go.ts (paths from
 * the repo root, for the compiled benches); waiting for a program to listen is shared.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths.js';

const TARGET_SRC = join(ROOT, 'test/go/target');

export interface GoTarget {
  base: string;
  pid: number;
  stop(): Promise<void>;
}

let built: string | undefined;

export function buildGoTarget(): string {
  if (built) return built;
  const bin = join(mkdtempSync(join(tmpdir(), 'leakwatch-bench-go-')), 'target');
  execFileSync('go', ['build', '-trimpath', '-o', bin, '.'], {
    cwd: TARGET_SRC,
    env: { ...process.env, GOFLAGS: '-mod=mod', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'leakwatch-gocache') },
    stdio: 'inherit',
  });
  built = bin;
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

export async function startGoTarget(args: string[]): Promise<GoTarget> {
  const proc: ChildProcess = spawn(buildGoTarget(), args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const addr = await waitListening(proc, 10_000, 'Go target');
  return {
    base: `http://${addr}`,
    pid: proc.pid!,
    stop: () =>
      new Promise<void>((ok) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return ok();
        proc.once('exit', () => ok());
        proc.kill('SIGKILL');
      }),
  };
}
