/**
 * The scheduler on vitest's fake clock: the cron tickers, the per-job offset timers and the
 * jobs' own sleeps all run on fake timers, so every count below is exact and no test waits.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler, cronPeriodMs, spreadOffset, type Tick } from '../../src/daemon/scheduler.js';

describe('spreadOffset', () => {
  it('is stable per name, inside the interval, and spreads names apart', () => {
    const names = Array.from({ length: 200 }, (_, i) => `svc-${i}`);
    const offsets = names.map((n) => spreadOffset(n, 15_000));
    expect(names.map((n) => spreadOffset(n, 15_000))).toEqual(offsets);
    for (const o of offsets) {
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThan(15_000);
    }
    // Spread over the first 9 s (offsets are capped at 10 s, 90% used): each third gets a fair share.
    expect(Math.max(...offsets)).toBeLessThan(9_000);
    for (let k = 0; k < 3; k++) {
      const inThird = offsets.filter((o) => o >= k * 3_000 && o < (k + 1) * 3_000).length;
      expect(inThird).toBeGreaterThan(40);
    }
    expect(spreadOffset('a', 1000)).toBeLessThan(1000);
  });

  it("spreads a job added with spread 'period' over its whole period, others over at most a fifth", async () => {
    vi.useFakeTimers({ now: T0 });
    const scheduler = new Scheduler(() => undefined);
    const dues = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      scheduler.add(`svc-${i}/profiles`, '0 * * * * *', async (dueAt) => void dues.set(`svc-${i}/profiles`, dueAt - T0 - 60_000), { spread: 'period' });
      scheduler.add(`svc-${i}/other`, '0 * * * * *', async (dueAt) => void dues.set(`svc-${i}/other`, dueAt - T0 - 60_000));
    }
    scheduler.start();
    await vi.advanceTimersByTimeAsync(120_000);
    const of = (kind: string) => [...dues].filter(([name]) => name.endsWith(kind)).map(([, d]) => d);
    // A round of 100 services' captures on a 1-minute schedule: over 54 s, each quarter its share.
    const spread = of('/profiles');
    expect(spread).toHaveLength(100);
    expect(Math.max(...spread)).toBeLessThan(54_000);
    for (let k = 0; k < 4; k++) expect(spread.filter((d) => d >= k * 13_500 && d < (k + 1) * 13_500).length).toBeGreaterThan(10);
    // The default: a fifth of the minute (12 s), 90% of it used.
    expect(Math.max(...of('/other'))).toBeLessThan(10_800);
    const stopping = scheduler.stop();
    await vi.runOnlyPendingTimersAsync();
    await stopping;
    vi.useRealTimers();
  });

  it('reads the interval of a cron expression', () => {
    expect(cronPeriodMs('*/15 * * * * *')).toBe(15_000);
    expect(cronPeriodMs('* * * * * *')).toBe(1_000);
    expect(cronPeriodMs('0 */5 * * * *')).toBe(300_000);
  });
});

/** 2026-01-01T00:00:00.000Z: a whole minute, so the first every-second tick is 1 s away. */
const T0 = Date.UTC(2026, 0, 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Scheduler', () => {
  let scheduler: Scheduler | undefined;
  const ticking = () => scheduler!.ticking;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(async () => {
    const stopping = scheduler?.stop();
    await vi.runOnlyPendingTimersAsync();
    await stopping;
    scheduler = undefined;
    vi.useRealTimers();
  });

  it('runs nothing and starts no ticker until start(); then each job once per tick after its offset', async () => {
    scheduler = new Scheduler(() => undefined);
    const dues: number[] = [];
    scheduler.add('svc/scrape', '* * * * * *', async (dueAt) => void dues.push(dueAt));
    expect(ticking()).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(dues).toEqual([]);

    scheduler.start();
    expect(ticking()).toEqual(['* * * * * *']);
    const started = Date.now();
    await vi.advanceTimersByTimeAsync(3_000);
    const offset = spreadOffset('svc/scrape', 1_000);
    expect(dues).toEqual([1, 2, 3].map((k) => started + k * 1_000 + offset).filter((d) => d <= started + 3_000));
    expect(scheduler.stats('svc/scrape')).toMatchObject({ runs: dues.length, skippedBusy: 0, skippedLate: 0, lastLagMs: 0 });
  });

  it('never runs one job twice at once, and a slow or failing job does not hold up another', async () => {
    const errors: string[] = [];
    scheduler = new Scheduler((name) => errors.push(name));
    let running = 0;
    let maxRunning = 0;
    const runs = { slow: 0, fast: 0 };
    scheduler.add('slow', '* * * * * *', async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs.slow++;
      await sleep(2_500);
      running--;
    });
    scheduler.add('fast', '* * * * * *', async () => void runs.fast++);
    scheduler.add('broken', '* * * * * *', async () => {
      throw new Error('boom');
    });
    scheduler.start();
    // Ticks at 1..6 s. slow runs at 1 s (busy until 3.5 s), skips 2 and 3 s, runs at 4 s, skips 5 and 6 s.
    await vi.advanceTimersByTimeAsync(6_999 - spreadOffset('slow', 1_000));
    expect(maxRunning).toBe(1);
    expect(runs.slow).toBe(2);
    expect(scheduler.stats('slow')).toMatchObject({ runs: 2, skippedBusy: 4 });
    expect(runs.fast).toBe(scheduler.stats('fast')!.runs);
    expect(runs.fast).toBeGreaterThanOrEqual(5);
    expect(errors.length).toBe(scheduler.stats('broken')!.runs);
    expect(new Set(errors)).toEqual(new Set(['broken']));
  });

  it('shares one ticker per expression; jobs added later join it', async () => {
    scheduler = new Scheduler(() => undefined);
    const dues = new Map<string, number[]>();
    const track = (name: string, expression: string) => {
      dues.set(name, []);
      scheduler!.add(name, expression, async (dueAt) => void dues.get(name)!.push(dueAt));
    };
    const names = Array.from({ length: 100 }, (_, i) => `svc-${i}/scrape`);
    for (const name of names) track(name, '* * * * * *');
    track('retention/prune', '*/2 * * * * *');
    expect(() => scheduler!.add('svc-0/scrape', '* * * * * *', async () => undefined)).toThrow(/duplicate/);
    scheduler.start();
    expect(ticking().sort()).toEqual(['* * * * * *', '*/2 * * * * *']);

    await vi.advanceTimersByTimeAsync(1_200);
    track('late/scrape', '* * * * * *');
    expect(ticking()).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2_800); // to T0 + 4 s

    // dueAt - offset is the shared task's tick: the same whole seconds for every job.
    const ticksOf = (name: string) => dues.get(name)!.map((d) => d - spreadOffset(name, cronPeriodMs('* * * * * *')));
    for (const name of names) {
      const expected = [1, 2, 3, 4].map((k) => T0 + k * 1_000).filter((t) => t + spreadOffset(name, 1_000) <= T0 + 4_000);
      expect(ticksOf(name)).toEqual(expected);
      expect(scheduler.stats(name)).toMatchObject({ runs: expected.length, skippedBusy: 0, lastLagMs: 0 });
    }
    expect(ticksOf('late/scrape')[0]).toBe(T0 + 2_000);
    expect(dues.get('retention/prune')!.map((d) => d - spreadOffset('retention/prune', 2_000))).toEqual([T0 + 2_000, T0 + 4_000].filter((t) => t + spreadOffset('retention/prune', 2_000) <= T0 + 4_000));

    await scheduler.stop();
    expect(ticking()).toEqual([]);
  });

  it('counts ticks dropped while the loop was blocked, and tells the next run', async () => {
    scheduler = new Scheduler(() => undefined);
    const ticks: Tick[] = [];
    scheduler.add('svc/scrape', '* * * * * *', async (_due, tick) => void ticks.push(tick));
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(ticks).toHaveLength(1);
    // A blocked event loop: the clock jumps 3.5 s and no timer fired meanwhile.
    vi.setSystemTime(Date.now() + 3_500);
    await vi.advanceTimersByTimeAsync(1_000);
    const stats = scheduler.stats('svc/scrape')!;
    expect(stats.skippedLate).toBeGreaterThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ticks.reduce((n, t) => n + t.skipped, 0)).toBe(stats.skippedLate + stats.skippedBusy);
  });

  it('set() keeps a job whose schedule is unchanged (new run, same stats) and moves one whose schedule changed', async () => {
    scheduler = new Scheduler(() => undefined);
    const seen: string[] = [];
    scheduler.add('a', '* * * * * *', async () => void seen.push('a1'));
    scheduler.add('b', '* * * * * *', async () => void seen.push('b1'));
    scheduler.start();
    await vi.advanceTimersByTimeAsync(2_000);
    const runsA = scheduler.stats('a')!.runs;
    scheduler.set('a', '* * * * * *', async () => void seen.push('a2'));
    scheduler.set('b', '*/5 * * * * *', async () => void seen.push('b2'));
    expect(scheduler.stats('a')!.runs).toBe(runsA);
    expect(scheduler.stats('b')!.runs).toBe(0);
    seen.length = 0;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen.filter((s) => s === 'a1' || s === 'b1')).toEqual([]);
    expect(seen.filter((s) => s === 'a2').length).toBeGreaterThanOrEqual(4);
    expect(seen.filter((s) => s === 'b2')).toHaveLength(1);
  });

  it('stop() waits for runs in flight and leaves no ticker', async () => {
    scheduler = new Scheduler(() => undefined);
    let started = false;
    let finished = false;
    scheduler.add('job', '* * * * * *', async () => {
      started = true;
      await sleep(800);
      finished = true;
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(started).toBe(true);
    expect(finished).toBe(false);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(800);
    await stopping;
    expect(finished).toBe(true);
    expect(ticking()).toEqual([]);
  });
});
