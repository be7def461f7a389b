/**
 * Per-service cron schedules (node-cron). Each job: never two runs of one job at once, a stable
 * per-job offset that spreads services over the interval, and no job can delay another.
 */
import { createHash } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';

const periods = new Map<string, number>();

/** The interval of a cron expression, from its next two fire times (ms); computed once per expression. */
export function cronPeriodMs(expression: string): number {
  let period = periods.get(expression);
  if (period === undefined) {
    const task = cron.createTask(expression, () => undefined);
    const [a, b] = task.getNextRuns(2);
    void task.destroy();
    period = a && b ? b.getTime() - a.getTime() : 60_000;
    periods.set(expression, period);
  }
  return period;
}

/** A stable offset in [0, periodMs) for a job name, like Prometheus's per-target scrape offset. */
export function spreadOffset(name: string, periodMs: number, maxMs = 10_000): number {
  const h = createHash('sha256').update(name).digest().readUInt32BE(0);
  const span = Math.min(periodMs, maxMs);
  return Math.floor((h / 0x1_0000_0000) * span * 0.9);
}

export interface JobStats {
  runs: number;
  skippedBusy: number;
  lastLagMs: number;
}

interface Job {
  task: ScheduledTask;
  offset: number;
  running: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  stats: JobStats;
}

export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private stopped = false;

  constructor(private readonly onError: (name: string, err: unknown) => void) {}

  /** Adds a job; `run` receives the time it was due (ms). */
  add(name: string, expression: string, run: (dueAt: number) => Promise<void>): void {
    if (this.jobs.has(name)) throw new Error(`scheduler: duplicate job ${name}`);
    const offset = spreadOffset(name, cronPeriodMs(expression));
    const job = { offset, running: null, timer: null, stats: { runs: 0, skippedBusy: 0, lastLagMs: 0 } } as unknown as Job;
    job.task = cron.schedule(
      expression,
      (ctx) => {
        if (this.stopped) return;
        if (job.running || job.timer) {
          job.stats.skippedBusy++;
          return;
        }
        const dueAt = ctx.triggeredAt.getTime() + job.offset;
        job.timer = setTimeout(() => {
          job.timer = null;
          if (this.stopped) return;
          job.stats.lastLagMs = Date.now() - dueAt;
          job.stats.runs++;
          job.running = run(dueAt)
            .catch((err) => this.onError(name, err))
            .finally(() => {
              job.running = null;
            });
        }, job.offset);
      },
      { name, suppressMissedWarning: true },
    );
    this.jobs.set(name, job);
  }

  stats(name: string): JobStats | undefined {
    return this.jobs.get(name)?.stats;
  }

  /** Stops every schedule and waits for runs in flight to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    const inflight: Promise<void>[] = [];
    for (const job of this.jobs.values()) {
      await job.task.destroy();
      if (job.timer) clearTimeout(job.timer);
      if (job.running) inflight.push(job.running);
    }
    this.jobs.clear();
    await Promise.allSettled(inflight);
  }
}
