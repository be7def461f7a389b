import cron from 'node-cron';
import { afterEach, describe, expect, it } from 'vitest';
import { Scheduler, cronPeriodMs, spreadOffset } from '../../src/daemon/scheduler.js';

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

  it('reads the interval of a cron expression', () => {
    expect(cronPeriodMs('*/15 * * * * *')).toBe(15_000);
    expect(cronPeriodMs('* * * * * *')).toBe(1_000);
    expect(cronPeriodMs('0 */5 * * * *')).toBe(300_000);
  });
});

describe('Scheduler', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
  });

  it('never runs one job twice at once, and a slow job does not hold up another', async () => {
    const errors: unknown[] = [];
    scheduler = new Scheduler((_name, err) => errors.push(err));
    let running = 0;
    let maxRunning = 0;
    let slowRuns = 0;
    let fastRuns = 0;
    scheduler.add('slow', '* * * * * *', async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      slowRuns++;
      await new Promise((r) => setTimeout(r, 2_500));
      running--;
    });
    scheduler.add('fast', '* * * * * *', async () => {
      fastRuns++;
    });
    scheduler.add('broken', '* * * * * *', async () => {
      throw new Error('boom');
    });
    await new Promise((r) => setTimeout(r, 4_600));
    expect(maxRunning).toBe(1);
    expect(slowRuns).toBeLessThanOrEqual(2);
    expect(scheduler.stats('slow')!.skippedBusy).toBeGreaterThanOrEqual(1);
    expect(fastRuns).toBeGreaterThanOrEqual(3);
    expect(errors.length).toBeGreaterThanOrEqual(3);
  }, 15_000);

  it('shares one node-cron task per expression; each job still runs once per tick after its own offset', async () => {
    const errors: unknown[] = [];
    scheduler = new Scheduler((_name, err) => errors.push(err));
    const before = new Set(cron.getTasks().keys());
    const added = () => [...cron.getTasks().values()].filter((t) => !before.has(t.id));
    const dues = new Map<string, number[]>();
    const track = (name: string, expression: string) => {
      dues.set(name, []);
      scheduler!.add(name, expression, async (dueAt) => {
        dues.get(name)!.push(dueAt);
      });
    };
    const names = Array.from({ length: 100 }, (_, i) => `svc-${i}/scrape`);
    for (const name of names) track(name, '* * * * * *');
    track('retention/prune', '*/2 * * * * *');
    expect(added().map((t) => t.getPattern()).sort()).toEqual(['* * * * * *', '*/2 * * * * *']);
    expect(() => scheduler!.add('svc-0/scrape', '* * * * * *', async () => undefined)).toThrow(/duplicate/);

    await new Promise((r) => setTimeout(r, 1_200));
    track('late/scrape', '* * * * * *'); // joins the running task
    expect(added()).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 2_000));

    // dueAt - offset is the shared task's fire time: one tick for all jobs, each at most once.
    const offsets = new Map([...dues.keys()].map((n) => [n, spreadOffset(n, 1_000)]));
    expect(new Set(offsets.values()).size).toBeGreaterThan(50);
    const ticksOf = (name: string) => dues.get(name)!.map((d) => d - offsets.get(name)!);
    const allTicks = new Set(names.flatMap(ticksOf));
    expect(allTicks.size).toBeGreaterThanOrEqual(2);
    expect(allTicks.size).toBeLessThanOrEqual(4);
    for (const name of [...names, 'late/scrape']) {
      const ticks = ticksOf(name);
      expect(ticks.length).toBeGreaterThanOrEqual(1);
      expect(new Set(ticks).size).toBe(ticks.length);
      for (const t of ticks) expect(allTicks.has(t)).toBe(true);
      const stats = scheduler.stats(name)!;
      expect(stats.runs).toBe(ticks.length);
      expect(stats.skippedBusy).toBe(0);
      expect(stats.lastLagMs).toBeLessThan(500);
    }
    // Every job that was there from the start ran on the first tick.
    const first = Math.min(...allTicks);
    for (const name of names) expect(ticksOf(name)[0]).toBe(first);
    expect(dues.get('retention/prune')!.length).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([]);

    await scheduler.stop();
    expect(added()).toEqual([]);
  }, 15_000);

  it('stop() waits for runs in flight', async () => {
    scheduler = new Scheduler(() => undefined);
    let finished = false;
    let started = false;
    scheduler.add('job', '* * * * * *', async () => {
      started = true;
      await new Promise((r) => setTimeout(r, 800));
      finished = true;
    });
    while (!started) await new Promise((r) => setTimeout(r, 50));
    await scheduler.stop();
    expect(finished).toBe(true);
  }, 10_000);
});
