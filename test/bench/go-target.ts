/**
 * The real Go test target (test/go/target) for benches: built by test/helpers/go.ts (once per
 * source hash, shared with the tests), started with flags, stopped with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { buildTarget, waitListening } from '../helpers/go.js';

export { waitListening };

export interface GoTarget {
  base: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startGoTarget(args: string[]): Promise<GoTarget> {
  const proc: ChildProcess = spawn(buildTarget(), args, { stdio: ['ignore', 'pipe', 'inherit'] });
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
