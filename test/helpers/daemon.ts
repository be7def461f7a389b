/** Runs the real compiled CLI (dist/, built by the global setup) as users do. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(root, 'dist/cli/main.js');

export function tempDir(prefix = 'leakwatch-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a YAML config into `dir` and returns its path. */
export function writeConfig(dir: string, yaml: string, name = 'leakwatch.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

/** One `services:` entry for a Go target (test/helpers/go.ts): pprof, metrics, /proc RSS, and more YAML lines. */
export function serviceYaml(name: string, target: { base: string; pid: number }, extra: string[] = []): string {
  return [
    `  - name: ${name}`,
    `    pprof: ${target.base}/debug/pprof`,
    `    metrics: ${target.base}/metrics`,
    `    pid: ${target.pid}`,
    ...extra.map((l) => `    ${l}`),
  ].join('\n');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like cli(), without blocking this process's event loop (for servers running in the test). */
export function cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => ok({ code, stdout, stderr }));
  });
}

export interface RunningDaemon {
  proc: ChildProcess;
  /** Everything the daemon logged so far. */
  logs(): string;
  /** Waits until the log matches `re` (or fails after `timeoutMs`). */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM and wait; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startDaemon(configPath: string, env: NodeJS.ProcessEnv = {}): RunningDaemon {
  const proc = spawn(process.execPath, [CLI, 'run', '--config', configPath], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((ok) => proc.on('exit', (code) => ok(code)));
  return {
    proc,
    logs: () => out,
    waitForLog: (re, timeoutMs = 30_000) =>
      new Promise((ok, fail) => {
        const started = Date.now();
        const check = setInterval(() => {
          const m = re.exec(out);
          if (m) {
            clearInterval(check);
            ok(m[0]);
          } else if (Date.now() - started > timeoutMs || proc.exitCode !== null) {
            clearInterval(check);
            fail(new Error(`daemon log never matched ${re}; log:\n${out}`));
          }
        }, 100);
      }),
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Maybe<T> = T | undefined | null | false;

/** Polls `fn` (sync or async) until it returns a truthy value, or throws after `timeoutMs`. */
export async function eventually<T>(fn: () => Maybe<T> | Promise<Maybe<T>>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
