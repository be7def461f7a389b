/**
 * RSS and start time of a local process from /proc (Linux). The parsers are pure; readProcess
 * is the thin I/O shell that also resolves pidFile and systemd units to a pid.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { ScrapeError } from './errors.js';

export interface ProcessTarget {
  pid?: number;
  pidFile?: string;
  systemdUnit?: string;
}

export interface ProcessInfo {
  pid: number;
  /** Resident set size in bytes (VmRSS). */
  rss: number;
  /** Unix ms. */
  processStart: number;
}

/** USER_HZ: the unit of /proc/<pid>/stat times. 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** VmRSS of /proc/<pid>/status in bytes. */
export function parseStatusRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB\s*$/m.exec(status);
  if (!m) throw new ScrapeError('bad_format', 'no VmRSS line in /proc/<pid>/status (a kernel thread or zombie?)', { stage: 'proc' });
  return Number(m[1]) * 1024;
}

/** starttime (field 22, clock ticks after boot) of /proc/<pid>/stat. */
export function parseStatStartTicks(stat: string): number {
  // comm (field 2) may contain spaces and parentheses: fields resume after the last ")".
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).trim().split(' ');
  const v = Number(fields[22 - 3]);
  if (close < 0 || !Number.isInteger(v)) throw new ScrapeError('bad_format', 'cannot read starttime from /proc/<pid>/stat', { stage: 'proc' });
  return v;
}

/** btime (boot time, Unix seconds) of /proc/stat. */
export function parseBootTime(procStat: string): number {
  const m = /^btime (\d+)$/m.exec(procStat);
  if (!m) throw new ScrapeError('bad_format', 'no btime line in /proc/stat', { stage: 'proc' });
  return Number(m[1]);
}

export function processStartMs(bootTimeSeconds: number, startTicks: number): number {
  return bootTimeSeconds * 1000 + Math.round((startTicks * 1000) / CLOCK_TICKS_PER_SECOND);
}

// Boot time cannot change while we run, and re-reading it could jitter by a second under NTP
// adjustments, which would look like a restart. Read it once.
let bootTime: Promise<number> | undefined;

function readBootTime(): Promise<number> {
  bootTime ??= readFile('/proc/stat', 'utf8').then(parseBootTime, (e: unknown) => {
    bootTime = undefined;
    throw procError('/proc/stat', e);
  });
  return bootTime;
}

export async function readProcess(target: ProcessTarget): Promise<ProcessInfo> {
  const pid = await resolvePid(target);
  const [status, stat, btime] = await Promise.all([
    readFile(`/proc/${pid}/status`, 'utf8').catch((e: unknown) => {
      throw procError(`/proc/${pid}/status`, e, pid);
    }),
    readFile(`/proc/${pid}/stat`, 'utf8').catch((e: unknown) => {
      throw procError(`/proc/${pid}/stat`, e, pid);
    }),
    readBootTime(),
  ]);
  return { pid, rss: parseStatusRss(status), processStart: processStartMs(btime, parseStatStartTicks(stat)) };
}

async function resolvePid(target: ProcessTarget): Promise<number> {
  if (target.pid !== undefined) return checkPid(target.pid, 'pid');
  if (target.pidFile !== undefined) {
    const text = await readFile(target.pidFile, 'utf8').catch((e: unknown) => {
      throw procError(`pidFile ${target.pidFile}`, e);
    });
    return checkPid(Number(text.trim()), `pidFile ${target.pidFile}`);
  }
  if (target.systemdUnit !== undefined) return checkPid(await mainPid(target.systemdUnit), `systemd unit ${target.systemdUnit}`, true);
  throw new ScrapeError('other', 'no pid, pidFile or systemdUnit configured', { stage: 'proc' });
}

function checkPid(pid: number, from: string, isUnit = false): number {
  if (Number.isInteger(pid) && pid > 0) return pid;
  if (isUnit && pid === 0) throw new ScrapeError('other', `${from} is not running (MainPID=0)`, { stage: 'proc' });
  throw new ScrapeError('bad_format', `${from} does not hold a process id`, { stage: 'proc' });
}

function mainPid(unit: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('systemctl', ['show', '-p', 'MainPID', '--value', '--', unit], { timeout: 5000 }, (err, stdout) => {
      if (err) return reject(new ScrapeError('other', `systemctl show ${unit} failed: ${err.message.split('\n')[0]}`, { stage: 'proc', cause: err }));
      resolve(Number(stdout.trim()));
    });
  });
}

function procError(what: string, e: unknown, pid?: number): ScrapeError {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' && pid !== undefined) return new ScrapeError('other', `process ${pid} is not running`, { stage: 'proc', cause: e });
  if (code === 'ENOENT') return new ScrapeError('other', `${what} does not exist`, { stage: 'proc', cause: e });
  if (code === 'EACCES') return new ScrapeError('other', `no permission to read ${what}`, { stage: 'proc', cause: e });
  return new ScrapeError('other', `reading ${what}: ${(e as Error).message}`, { stage: 'proc', cause: e });
}
