import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScrapeError } from '../../src/collect/errors.js';
import { parseBootTime, parseStatStartTicks, parseStatusRss, processStartMs, readProcess } from '../../src/collect/procfs.js';
import { isRestart } from '../../src/model/restart.js';
import { mergeSample } from '../../src/collect/scrape.js';
import type { Sample } from '../../src/model/sample.js';

async function rejection(p: Promise<unknown>): Promise<ScrapeError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ScrapeError);
  return e as ScrapeError;
}

describe('/proc parsers', () => {
  it('reads VmRSS in bytes', () => {
    expect(parseStatusRss('Name:\tx\nVmHWM:\t  9000 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 1 kB\n')).toBe(12345 * 1024);
  });

  it('reads starttime after a comm with spaces and parentheses', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21';
    expect(parseStatStartTicks(`4242 (my (weird) prog) ${rest}`)).toBe(987654);
  });

  it('reads btime and combines it with clock ticks', () => {
    expect(parseBootTime('cpu  1 2 3\nbtime 1700000000\nprocesses 5\n')).toBe(1700000000);
    expect(processStartMs(1700000000, 12345)).toBe(1700000000000 + 123450);
  });

  it.each([
    ['status without VmRSS (kernel thread)', () => parseStatusRss('Name:\tkthreadd\n'), /no VmRSS/],
    ['a stat line that is cut short', () => parseStatStartTicks('1 (x) S 1 2'), /cannot read starttime/],
    ['a /proc/stat without btime', () => parseBootTime('cpu 1 2 3\n'), /no btime/],
  ])('rejects %s', (_name, fn, reason) => {
    expect(fn).toThrow(ScrapeError);
    expect(fn).toThrow(reason);
  });
});

describe('readProcess', () => {
  it('reads this process: pid, RSS near what Node reports, start time near now − uptime', async () => {
    const info = await readProcess({ pid: process.pid });
    expect(info.pid).toBe(process.pid);
    const nodeRss = process.memoryUsage().rss;
    expect(info.rss).toBeGreaterThan(nodeRss * 0.5);
    expect(info.rss).toBeLessThan(nodeRss * 2);
    expect(Math.abs(info.processStart - (Date.now() - process.uptime() * 1000))).toBeLessThan(2000);
  });

  it('resolves a pidFile', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'lw-pid-')), 'svc.pid');
    writeFileSync(f, `${process.pid}\n`);
    expect((await readProcess({ pidFile: f })).pid).toBe(process.pid);
  });

  it('resolves a systemd unit through `systemctl show -p MainPID --value`', async () => {
    // A stand-in systemctl first on PATH: it answers like systemd for one unit, 0 for others.
    const dir = mkdtempSync(join(tmpdir(), 'lw-systemctl-'));
    const args = join(dir, 'args');
    writeFileSync(
      join(dir, 'systemctl'),
      `#!/bin/sh\necho "$@" > ${args}\nif [ "$6" = checkout.service ]; then echo ${process.pid}; else echo 0; fi\n`,
    );
    chmodSync(join(dir, 'systemctl'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path}`;
    try {
      expect((await readProcess({ systemdUnit: 'checkout.service' })).pid).toBe(process.pid);
      expect(readFileSync(args, 'utf8').trim()).toBe('show -p MainPID --value -- checkout.service');
      const stopped = await rejection(readProcess({ systemdUnit: 'stopped.service' }));
      expect(stopped.message).toBe('proc: systemd unit stopped.service is not running (MainPID=0)');
    } finally {
      process.env.PATH = path;
    }
  });

  it('says which process is gone', async () => {
    // pid_max is at most 2^22 on Linux, so this pid cannot exist.
    const e = await rejection(readProcess({ pid: 2 ** 22 + 1 }));
    expect(e.message).toBe(`proc: process ${2 ** 22 + 1} is not running`);
  });

  it('says when a pidFile is missing or holds no pid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-pid-'));
    expect((await rejection(readProcess({ pidFile: join(dir, 'none.pid') }))).message).toMatch(/pidFile .*none\.pid does not exist/);
    writeFileSync(join(dir, 'bad.pid'), 'hello\n');
    const bad = await rejection(readProcess({ pidFile: join(dir, 'bad.pid') }));
    expect(bad.code).toBe('bad_format');
    expect(bad.message).toMatch(/does not hold a process id/);
  });
});

describe('isRestart', () => {
  const base: Sample = { t: 0, pid: 100, processStart: 1_000_000, numGC: 10, totalAlloc: 5000 };
  it.each<[string, Sample | undefined, Sample, boolean]>([
    ['no previous sample', undefined, base, false],
    ['same process, counters grew', base, { ...base, t: 15, numGC: 12, totalAlloc: 9000 }, false],
    ['start time jitter within tolerance (/proc vs metrics clocks)', base, { ...base, processStart: 1_001_500 }, false],
    ['pid changed', base, { ...base, pid: 101 }, true],
    ['start time changed', base, { ...base, processStart: 1_060_000 }, true],
    ['NumGC went backwards', base, { ...base, numGC: 2 }, true],
    ['TotalAlloc went backwards', base, { ...base, totalAlloc: 4000 }, true],
    ['TotalAlloc trailing by < 1% (metrics after a stop-the-world footer)', { t: 0, totalAlloc: 1e9 }, { t: 1, totalAlloc: 1e9 - 5e6 }, false],
    ['only counters known, growing', { t: 0, numGC: 1, totalAlloc: 1 }, { t: 1, numGC: 1, totalAlloc: 2 }, false],
    ['fields missing on one side are not evidence', base, { t: 1 }, false],
    ['the collector flagged a restart', base, { ...base, t: 15, numGC: 12, restart: true }, true],
    ['the collector flagged one on the first sample', undefined, { ...base, restart: true }, true],
  ])('%s', (_name, prev, next, expected) => {
    expect(isRestart(prev, next)).toBe(expected);
  });
});

describe('mergeSample precedence', () => {
  it('pprof footer first, then expvar, then metrics; /proc beats metrics for rss, pid and start', () => {
    const merged = mergeSample(42, {
      heap: { heapAlloc: 1, sys: 1 },
      goroutines: { goroutines: 10 },
      expvar: { heapAlloc: 2, sys: 2, pauseTotalNs: 2 },
      metrics: { heapAlloc: 3, goroutines: 30, rss: 3, processStart: 3, gogc: 50, pauseTotalNs: 3 },
      proc: { rss: 4, pid: 4, processStart: 4 },
    });
    expect(merged).toEqual({ t: 42, heapAlloc: 1, sys: 1, goroutines: 10, pauseTotalNs: 2, rss: 4, pid: 4, processStart: 4, gogc: 50 });
  });

  it('fills from metrics alone when that is all there is', () => {
    expect(mergeSample(1, { metrics: { goroutines: 5, rss: 6 } })).toEqual({ t: 1, goroutines: 5, rss: 6 });
  });
});
