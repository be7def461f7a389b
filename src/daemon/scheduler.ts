/**
 * Per-service cron schedules (node-cron expressions, ticked by cron.ts). Each job: never two runs
 * of one job at once, a stable per-job offset that spreads services over the interval, and no job
 * can delay another. A tick that cannot run is counted, never lost silently: one that finds the
 * job's previous run still going (skippedBusy), and one dropped because it fired late, the event
 * loop having been blocked (skippedLate).
 */
import { createHash } from 'node:crypto';
import { CronExpr, CronTicker } from './cron.js';

const periods = new Map<string, number>();

/** The interval of a cron expression, from its next two fire times (ms); computed once per expression. */
export function cronPeriodMs(expression: string): number {
  let period = periods.get(expression);
  if (period === undefined) {
    const cron = new CronExpr(expression);
    const a = cron.next(Date.now());
    period = cron.next(a) - a;
    periods.set(expression, period);
  }
  return period;
}

/**
 * A stable offset in [0, periodMs) for a job name, like Prometheus's per-target scrape offset:
 * over 10 s, or a fifth of a longer period (1,000 services' 5-minute profile captures spread over a
 * minute, not bunched into 10 s; a new service's first capture still comes within a fifth of it).
 * A job added with `spread: 'period'` passes maxMs = periodMs: spread over its whole period.
 */
export function spreadOffset(name: string, periodMs: number, maxMs = Math.max(10_000, periodMs / 5)): number {
  const h = createHash('sha256').update(name).digest().readUInt32BE(0);
  const span = Math.min(periodMs, maxMs);
  return Math.floor((h / 0x1_0000_0000) * span * 0.9);
}

export interface JobOptions {
  /**
   * 'period': the job's offset spreads over its whole period instead of at most max(10 s, a
   * fifth of it). For work heavy enough that a fifth of the period is too short for every
   * service's run (profile captures, spreadOffset).
   */
  spread?: 'default' | 'period';
}

export interface JobStats {
  runs: number;
  skippedBusy: number;
  skippedLate: number;
  /** How late the last run started after it was due (ms). */
  lastLagMs: number;
}

/** What a run is told about its tick. */
export interface Tick {
  /** When the run was due (ms). */
  dueAt: number;
  /** How late it started (ms). */
  lagMs: number;
  /** Ticks of this job skipped (busy or late) since its previous run. */
  skipped: number;
}

interface Job {
  name: string;
  expression: string;
  offset: number;
  run: (dueAt: number, tick: Tick) => Promise<void>;
  running: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  stats: JobStats;
  skippedSinceRun: number;
}

/**
 * Runs jobs on cron schedules with one ticker per distinct expression, shared by every job that
 * uses it (one node-cron task per job, each with its own runner, timer and matcher, was a visible
 * share of the daemon's memory and CPU at hundreds of services). Jobs keep their own offset timer,
 * busy check and stats, so sharing the tick changes nothing else. Adding jobs does no I/O and
 * starts no timer; start() does, and stop() undoes it.
 */
export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  /** Jobs by expression; `ticker` is null until start(). */
  private readonly groups = new Map<string, { ticker: CronTicker | null; jobs: Job[] }>();
  private started = false;
  private stopped = false;

  constructor(private readonly onError: (name: string, err: unknown) => void) {}

  /**
   * Adds a job; `run` receives the time it was due (ms) and what happened to its tick. Nothing
   * runs before start(); a job added to a started scheduler ticks at once.
   */
  add(name: string, expression: string, run: (dueAt: number, tick: Tick) => Promise<void>, opts: JobOptions = {}): void {
    if (this.jobs.has(name)) throw new Error(`scheduler: duplicate job ${name}`);
    const period = cronPeriodMs(expression);
    const offset = spreadOffset(name, period, opts.spread === 'period' ? period : undefined);
    const job: Job = {
      name, expression, offset, run, running: null, timer: null, skippedSinceRun: 0,
      stats: { runs: 0, skippedBusy: 0, skippedLate: 0, lastLagMs: 0 },
    };
    let group = this.groups.get(expression);
    if (!group) {
      group = { ticker: null, jobs: [] };
      this.groups.set(expression, group);
      if (this.started) group.ticker = this.schedule(expression, group.jobs);
    }
    group.jobs.push(job);
    this.jobs.set(name, job);
  }

  /**
   * Adds the job, or replaces the one of that name when it differs: same schedule, the new `run`
   * takes over (its stats and any run in flight stay); another schedule, it is removed and added.
   */
  set(name: string, expression: string, run: (dueAt: number, tick: Tick) => Promise<void>): void {
    const job = this.jobs.get(name);
    if (job && job.expression === expression) {
      job.run = run;
      return;
    }
    this.remove(name);
    this.add(name, expression, run);
  }

  /** Starts the cron ticks of every job added so far (and of those added later). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    for (const [expression, group] of this.groups) group.ticker ??= this.schedule(expression, group.jobs);
  }

  /** Expressions whose ticker is running. */
  get ticking(): string[] {
    return [...this.groups].filter(([, g]) => g.ticker?.running).map(([expression]) => expression);
  }

  private schedule(expression: string, jobs: Job[]): CronTicker {
    const ticker = new CronTicker(
      new CronExpr(expression),
      // The slot the tick belongs to, not when the timer got round to it: a late tick's lag counts.
      (slot) => {
        for (const j of jobs) this.fire(j, slot);
      },
      (missed) => {
        if (this.stopped) return;
        for (const j of jobs) {
          j.stats.skippedLate += missed;
          j.skippedSinceRun += missed;
        }
      },
    );
    ticker.start();
    return ticker;
  }

  /** Removes a job (a service that went away); a run in flight finishes on its own. */
  remove(name: string): void {
    const job = this.jobs.get(name);
    if (!job) return;
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    this.jobs.delete(name);
    const group = this.groups.get(job.expression);
    if (!group) return;
    group.jobs.splice(group.jobs.indexOf(job), 1);
    if (group.jobs.length === 0) {
      group.ticker?.stop();
      this.groups.delete(job.expression);
    }
  }

  stats(name: string): JobStats | undefined {
    return this.jobs.get(name)?.stats;
  }

  /** Stops every schedule and waits for runs in flight to finish; the jobs are forgotten. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    for (const { ticker } of this.groups.values()) ticker?.stop();
    this.groups.clear();
    const inflight: Promise<void>[] = [];
    for (const job of this.jobs.values()) {
      if (job.timer) clearTimeout(job.timer);
      job.timer = null;
      if (job.running) inflight.push(job.running);
    }
    this.jobs.clear();
    await Promise.allSettled(inflight);
  }

  private skip(job: Job): void {
    job.stats.skippedBusy++;
    job.skippedSinceRun++;
  }

  private fire(job: Job, slot: number): void {
    if (this.stopped) return;
    // The previous tick's offset timer has not even fired: the loop is that far behind.
    if (job.timer) return this.skip(job);
    const dueAt = slot + job.offset;
    job.timer = setTimeout(() => {
      job.timer = null;
      if (this.stopped) return;
      // Busy is judged when the run is due, not at the shared tick: a job with a late offset may
      // still be finishing the previous run when the tick fires and be free by its own due time.
      if (job.running) return this.skip(job);
      const lagMs = Math.max(0, Date.now() - dueAt);
      const skipped = job.skippedSinceRun;
      job.skippedSinceRun = 0;
      job.stats.lastLagMs = lagMs;
      job.stats.runs++;
      job.running = job
        .run(dueAt, { dueAt, lagMs, skipped })
        .catch((err) => this.onError(job.name, err))
        .finally(() => {
          job.running = null;
        });
    }, Math.max(0, dueAt - Date.now()));
  }
}
