/**
 * Cron fire times read from Date's local fields (cron.ts), against node-cron's own: the daemon
 * ticks on the same slots node-cron did, without Intl. The machine's zone is whatever it is: both
 * sides compute in it.
 */
import cron from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CronExpr, CronTicker, planBeat } from '../../src/daemon/cron.js';
import { Scheduler } from '../../src/daemon/scheduler.js';

/** node-cron's next `n` fire times after `from`. */
function nodeCronRuns(expression: string, from: number, n: number): number[] {
  vi.useFakeTimers({ now: from, toFake: ['Date'] });
  try {
    const task = cron.createTask(expression, () => undefined);
    const runs = task.getNextRuns(n).map((d) => d.getTime());
    void task.destroy();
    return runs;
  } finally {
    vi.useRealTimers();
  }
}

function ourRuns(expression: string, from: number, n: number): number[] {
  const c = new CronExpr(expression);
  const out: number[] = [];
  for (let t = from; out.length < n; ) out.push((t = c.next(t)));
  return out;
}

describe('CronExpr.next', () => {
  const from = Date.UTC(2026, 0, 30, 23, 59, 58, 500);
  const cases: [string, string][] = [
    ['every second', '* * * * * *'],
    ['every 15 s', '*/15 * * * * *'],
    ['five fields: every minute', '* * * * *'],
    ['every 5 min', '0 */5 * * * *'],
    ['a list of minutes (the footprint bench profile schedule)', '0 1,6,11,16,21,26,31,36,41,46,51,56 * * * *'],
    ['weekdays at 9', '0 9 * * MON-FRI'],
    ['month names and a range with a step', '30 10-20/5 * JAN,MAR *'],
    ['the last day of the month', '0 0 L * *'],
    ['the weekday nearest the 15th', '0 0 15W * *'],
    ['the second Friday', '0 0 * * 5#2'],
    ['the last Sunday (7 is Sunday)', '0 0 * * 7L'],
    ['three days before the last', '0 12 L-3 * *'],
    ['a nickname', '@daily'],
    ['day of month and day of week together (both must match)', '0 0 13 * 5'],
  ];
  it.each(cases)('%s (%s): the same fire times as node-cron', (_what, expression) => {
    expect(ourRuns(expression, from, 6)).toEqual(nodeCronRuns(expression, from, 6));
  });

  it('fire times are strictly after the given time, on whole seconds', () => {
    const c = new CronExpr('* * * * * *');
    expect(c.next(Date.UTC(2026, 0, 1))).toBe(Date.UTC(2026, 0, 1, 0, 0, 1));
    expect(c.next(Date.UTC(2026, 0, 1, 0, 0, 0, 999))).toBe(Date.UTC(2026, 0, 1, 0, 0, 1));
  });

  it('an expression that never fires (the 31st on a first Tuesday) is an error, not a hang', () => {
    expect(() => new CronExpr('0 0 31 * 2#1').next(Date.UTC(2026, 0, 1))).toThrow(/no fire time/);
  });
});

describe('planBeat', () => {
  const everySecond = (t: number) => t + 1_000;
  const cases: [string, number, { run?: number; missed: number; next: number }][] = [
    ['woken early: wait for the slot', 9_990, { missed: 0, next: 10_000 }],
    ['on time: run the slot', 10_000, { run: 10_000, missed: 0, next: 11_000 }],
    ['late but within the tolerance and before the next slot', 10_900, { run: 10_000, missed: 0, next: 11_000 }],
    ['a blocked loop: slots passed unrun are counted, the current one runs', 13_200, { run: 13_000, missed: 3, next: 14_000 }],
  ];
  it.each(cases)('%s', (_what, now, expected) => {
    expect(planBeat(10_000, now, 1_000, everySecond)).toEqual(expected);
  });
});

describe('CronTicker', () => {
  afterEach(() => vi.useRealTimers());

  it('ticks on each slot and counts the slots a blocked loop let pass', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const slots: number[] = [];
    let missed = 0;
    const ticker = new CronTicker(new CronExpr('* * * * * *'), (s) => slots.push(s), (n) => (missed += n));
    ticker.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(slots).toEqual([1, 2, 3].map((k) => Date.UTC(2026, 0, 1) + k * 1_000));
    vi.setSystemTime(Date.now() + 4_500);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(missed).toBe(4);
    ticker.stop();
    expect(ticker.running).toBe(false);
  });
});

describe('Scheduler', () => {
  // Intl's first use maps ICU's locale and time-zone data into the process (~8 MB of RSS that
  // stays); node-cron's scheduler formatted every tick through Intl.DateTimeFormat.
  it('schedules and ticks without Intl', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const formats = vi.spyOn(Intl, 'DateTimeFormat');
    try {
      const scheduler = new Scheduler(() => undefined);
      let runs = 0;
      scheduler.add('svc/scrape', '* * * * * *', async () => void runs++);
      scheduler.add('svc/profiles', '0 */5 * * * *', async () => void runs++);
      scheduler.start();
      await vi.advanceTimersByTimeAsync(5_000);
      const stopping = scheduler.stop();
      await vi.runOnlyPendingTimersAsync();
      await stopping;
      expect(runs).toBeGreaterThanOrEqual(4);
      expect(formats).not.toHaveBeenCalled();
    } finally {
      formats.mockRestore();
    }
  });
});
