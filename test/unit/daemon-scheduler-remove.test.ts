import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../../src/daemon/scheduler.js';

describe('Scheduler.remove (a service that left the fleet)', () => {
  let scheduler: Scheduler;
  const patterns = () => scheduler.ticking;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    scheduler = new Scheduler(() => undefined);
    scheduler.start();
  });
  afterEach(async () => {
    await scheduler.stop();
    vi.useRealTimers();
  });

  it('a removed job never runs again; the others on its schedule keep running; its name can be added again', async () => {
    const runs = { stay: 0, leave: 0, back: 0 };
    scheduler.add('stay', '* * * * * *', async () => void runs.stay++);
    scheduler.add('leave', '* * * * * *', async () => void runs.leave++);
    await vi.advanceTimersByTimeAsync(2_000);
    const left = runs.leave;
    expect(left).toBeGreaterThanOrEqual(1);
    scheduler.remove('leave');
    scheduler.remove('never-added');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(runs.stay).toBeGreaterThanOrEqual(4);
    expect(runs.leave).toBe(left);
    scheduler.add('leave', '* * * * * *', async () => void runs.back++);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs.back).toBeGreaterThanOrEqual(1);
    expect(runs.leave).toBe(left);
  });

  it('removing the last job of an expression stops its tick; a later job on it starts a new one', async () => {
    let n = 0;
    scheduler.add('only', '*/2 * * * * *', async () => void n++);
    expect(patterns()).toEqual(['*/2 * * * * *']);
    scheduler.remove('only');
    expect(patterns()).toEqual([]);
    scheduler.add('again', '*/2 * * * * *', async () => void n++);
    expect(patterns()).toEqual(['*/2 * * * * *']);
    // Ticks at 2 s and 4 s; the job's offset is under 1.8 s.
    await vi.advanceTimersByTimeAsync(5_900);
    expect(n).toBe(2);
    expect(scheduler.stats('again')!.runs).toBe(n);
    expect(scheduler.stats('only')).toBeUndefined();
  });
});
