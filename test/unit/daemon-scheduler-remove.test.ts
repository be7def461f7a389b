import { afterEach, describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/daemon/scheduler.js';

describe('Scheduler.remove (a service that left the fleet)', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
  });

  it('a removed job never runs again; the others on its schedule keep running; its name can be added again', async () => {
    scheduler = new Scheduler(() => undefined);
    const runs = { stay: 0, leave: 0, back: 0 };
    scheduler.add('stay', '* * * * * *', async () => void runs.stay++);
    scheduler.add('leave', '* * * * * *', async () => void runs.leave++);
    scheduler.remove('leave');
    scheduler.remove('never-added');
    await new Promise<void>((ok) => {
      const check = setInterval(() => runs.stay >= 2 && (clearInterval(check), ok()), 50);
    });
    expect(runs.leave).toBe(0);
    scheduler.add('leave', '* * * * * *', async () => void runs.back++);
    await new Promise<void>((ok) => {
      const check = setInterval(() => runs.back >= 1 && (clearInterval(check), ok()), 50);
    });
    expect(runs.leave).toBe(0);
  }, 20_000);

  it('removing the last job of an expression stops its tick; a later job on it starts a new one', async () => {
    scheduler = new Scheduler(() => undefined);
    let n = 0;
    scheduler.add('only', '*/2 * * * * *', async () => void n++);
    scheduler.remove('only');
    scheduler.add('again', '*/2 * * * * *', async () => void n++);
    await new Promise<void>((ok) => {
      const check = setInterval(() => n >= 1 && (clearInterval(check), ok()), 50);
    });
    expect(scheduler.stats('again')!.runs).toBe(n);
    expect(scheduler.stats('only')).toBeUndefined();
  }, 20_000);
});
