/**
 * The real Go test target (test/go/target) for benches: built once per run with the local `go`,
 * started with flags, stopped with SIGKILL. (The tests have their own copy in test/helpers/go.ts.)
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

export async function startGoTarget(args: string[]): Promise<GoTarget> {
  const proc: ChildProcess = spawn(buildGoTarget(), args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const addr = await new Promise<string>((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error('Go target did not start in 10 s')), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /LISTENING (\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    proc.once('exit', (code) => fail(new Error(`Go target exited with ${code}`)));
  });
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
