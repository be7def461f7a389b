/**
 * FairLimiter: at most `limit` tasks run at once and at most `perKey` of them for one key (one
 * service); the rest wait in one bounded queue served round-robin across keys, so a service with
 * many waiting tasks cannot starve the others of their turn. One design for both pools of the
 * collector: fetches (fetch-pool.ts) and decodes (decode-pool.ts).
 */

/** The queue already holds `maxQueued` tasks: the task was refused without waiting. */
export class QueueFull extends Error {
  constructor(readonly queued: number) {
    super(`${queued} tasks already waiting`);
  }
}

/** No slot came free within the task's wait limit. */
export class WaitedTooLong extends Error {
  constructor(readonly waitedMs: number) {
    super(`no free slot within ${waitedMs} ms`);
  }
}

export interface FairLimits {
  /** Tasks running at once, all keys together. */
  limit: number;
  /** Tasks running at once for one key. */
  perKey: number;
  /** Tasks waiting, all keys together; more are refused (QueueFull). */
  maxQueued: number;
}

interface Waiter {
  start: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class FairLimiter {
  private running = 0;
  private readonly runningByKey = new Map<string, number>();
  /** Waiting tasks per key; the Map's order is the round-robin order (a served key moves last). */
  private readonly queues = new Map<string, Waiter[]>();
  private waiting = 0;

  constructor(readonly limits: FairLimits) {}

  /** Tasks running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting };
  }

  /**
   * Runs `task` once `key` has a slot. Rejects with QueueFull at once when the queue is full, and
   * with WaitedTooLong when no slot came free within `maxWaitMs` (the task then never runs).
   */
  async run<T>(key: string, task: () => Promise<T>, maxWaitMs?: number): Promise<T> {
    await this.acquire(key, maxWaitMs);
    try {
      return await task();
    } finally {
      this.release(key);
    }
  }

  private canStart(key: string): boolean {
    return this.running < this.limits.limit && (this.runningByKey.get(key) ?? 0) < this.limits.perKey;
  }

  private take(key: string): void {
    this.running++;
    this.runningByKey.set(key, (this.runningByKey.get(key) ?? 0) + 1);
  }

  private acquire(key: string, maxWaitMs: number | undefined): Promise<void> {
    // A key with tasks already waiting queues behind them, even if a slot is free for it.
    if (!this.queues.has(key) && this.canStart(key)) {
      this.take(key);
      return Promise.resolve();
    }
    if (this.waiting >= this.limits.maxQueued) return Promise.reject(new QueueFull(this.waiting));
    return new Promise<void>((start, reject) => {
      const waiter: Waiter = { start, reject, timer: undefined };
      if (maxWaitMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.remove(key, waiter);
          reject(new WaitedTooLong(maxWaitMs));
        }, maxWaitMs);
      }
      const q = this.queues.get(key);
      if (q) q.push(waiter);
      else this.queues.set(key, [waiter]);
      this.waiting++;
    });
  }

  private remove(key: string, waiter: Waiter): void {
    const q = this.queues.get(key);
    const i = q ? q.indexOf(waiter) : -1;
    if (!q || i < 0) return;
    q.splice(i, 1);
    this.waiting--;
    if (q.length === 0) this.queues.delete(key);
  }

  private release(key: string): void {
    this.running--;
    const n = (this.runningByKey.get(key) ?? 1) - 1;
    if (n > 0) this.runningByKey.set(key, n);
    else this.runningByKey.delete(key);
    this.pump();
  }

  /** Starts waiting tasks, one key at a time in round-robin order, while slots are free. */
  private pump(): void {
    while (this.running < this.limits.limit && this.waiting > 0) {
      let started = false;
      for (const [key, q] of this.queues) {
        if (!this.canStart(key)) continue;
        const waiter = q.shift()!;
        this.waiting--;
        this.queues.delete(key);
        if (q.length > 0) this.queues.set(key, q);
        clearTimeout(waiter.timer);
        this.take(key);
        waiter.start();
        started = true;
        break;
      }
      if (!started) return;
    }
  }
}
