/**
 * DecodePool: profile gunzip+decode and big text bodies run on worker threads, so a hostile body
 * costs a worker its time, never the event loop that keeps every other service on schedule.
 * Bounded and fair (FairLimiter: one task per service at a time, a bounded queue served
 * round-robin), and each task has a time budget: a worker still busy after it is terminated and
 * replaced, and the task fails with a reason about the body that caused it.
 *
 * Measured (npm run bench:hostile): parsing a 50 MB expvar body inline stalls the loop ~1 s, a
 * 50 MB /metrics body ~2 s; on a worker the longest stall is under 100 ms (the body is moved, not
 * copied). Refusing a 4.2 MB gzip bomb used to cost ~2–10 s of loop time and ~270 MB before the
 * 256 MiB cap; it is now refused by ratio some 40 KiB into its download (GzipWatch from 32 KiB).
 *
 * Routine profile captures small enough to check on the event loop never come here
 * (decode-tasks.ts checkInline): a round of them starts no worker.
 *
 * Workers start on the first task and end after idleMs without one: an idle worker is a second V8
 * isolate (~10 MB of anonymous memory; a bare daemon idles at ~75 MB RSS instead of ~85), and at
 * the default schedule decodes come in a burst every 5 minutes (the profile round). A cold start
 * costs ~100–150 ms of CPU and delays that one task by about as much (measured on a loaded 2-core
 * machine), off the event loop.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ScrapeError } from './errors.js';
import { FairLimiter, QueueFull, WaitedTooLong } from './fair-limiter.js';
import { runDecodeTask, type DecodeResult, type DecodeTask } from './decode-tasks.js';
import type { DecodeReply, DecodeRequest } from './decode-worker.js';

export interface DecodePoolOptions {
  /** Worker threads. Default: available cores − 1, at least 1. */
  size?: number;
  /** Tasks waiting for a worker, all services together. Default 64. */
  maxQueued?: number;
  /** A task still running after this is abandoned and its worker replaced. Default 15 s. */
  budgetMs?: number;
  /** The worker's entry file; null runs every task inline (no threads). Default: resolveWorkerEntry(). */
  entry?: URL | null;
  /** V8 old-generation cap per worker, MB: a decode that needs more fails instead of growing the daemon. */
  maxHeapMb?: number;
  /** A worker with no task for this long ends (started again on demand). Default 30 s. */
  idleMs?: number;
  /** V8 young-generation size per worker, MB. Default 3 (1 MB semi-spaces, as the daemon's main thread: daemon-v8.ts). */
  youngMb?: number;
}

export interface DecodePoolStats {
  tasks: number;
  inline: number;
  workersStarted: number;
  /** Workers ended after idleMs without a task. */
  workersRetired: number;
  abandoned: number;
}

/**
 * The compiled worker next to this module (dist/collect/decode-worker.js). Under vitest this
 * module is src/collect/decode-pool.ts and there is no .js beside it: the compiled twin in dist/
 * (the test setup builds it) is used. Undefined when neither exists: tasks then run inline.
 */
export function resolveWorkerEntry(moduleUrl: string = import.meta.url): URL | undefined {
  const beside = new URL('./decode-worker.js', moduleUrl);
  if (existsSync(fileURLToPath(beside))) return beside;
  if (moduleUrl.endsWith('.ts')) {
    const twin = new URL(moduleUrl.replace(/\/src\/([^]*)\/[^/]+\.ts$/, '/dist/$1/decode-worker.js'));
    if (existsSync(fileURLToPath(twin))) return twin;
  }
  return undefined;
}

/**
 * A text body is handed over, not copied, when it owns its whole ArrayBuffer (the caller is done
 * with it). A profile's bytes are copied: the caller keeps them to store.
 */
function transferable(task: DecodeTask): ArrayBuffer[] {
  if (task.type === 'profile') return [];
  const { buffer, byteOffset, byteLength } = task.body;
  return buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength ? [buffer] : [];
}

interface Busy {
  resolve: (r: DecodeResult) => void;
  reject: (e: Error) => void;
}

export class DecodePool {
  readonly size: number;
  private readonly limiter: FairLimiter;
  readonly budgetMs: number;
  private readonly entry: URL | undefined;
  private readonly maxHeapMb: number;
  readonly idleMs: number;
  private readonly youngMb: number;
  private readonly idle: Worker[] = [];
  /** The retirement timer of each idle worker. */
  private readonly idleTimers = new Map<Worker, NodeJS.Timeout>();
  private readonly busy = new Map<Worker, Busy>();
  private nextId = 1;
  private stopped = false;
  readonly stats: DecodePoolStats = { tasks: 0, inline: 0, workersStarted: 0, workersRetired: 0, abandoned: 0 };

  constructor(opts: DecodePoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? availableParallelism() - 1);
    this.limiter = new FairLimiter({ limit: this.size, perKey: 1, maxQueued: opts.maxQueued ?? 64 });
    this.budgetMs = opts.budgetMs ?? 15_000;
    this.entry = opts.entry === null ? undefined : (opts.entry ?? resolveWorkerEntry());
    this.maxHeapMb = opts.maxHeapMb ?? 384;
    this.idleMs = opts.idleMs ?? 30_000;
    this.youngMb = opts.youngMb ?? 3;
  }

  /**
   * Starts the workers now rather than at the first task (a worker takes ~0.4 s to load); they
   * still end after idleMs without a task.
   */
  start(): void {
    if (!this.entry) return;
    while (this.idle.length + this.busy.size < this.size) this.parkIdle(this.spawn(this.entry));
  }

  /** Workers alive now, idle or busy. */
  get workers(): number {
    return this.idle.length + this.busy.size;
  }

  /** True when tasks run on worker threads (false: inline, no worker entry was found). */
  get threaded(): boolean {
    return this.entry !== undefined;
  }

  /**
   * Runs `task` for service `key`. `maxWaitMs` bounds the wait for a free worker (then the task
   * fails as 'overloaded', a reason about leakwatch, not the target).
   */
  async run(key: string, task: DecodeTask, maxWaitMs?: number): Promise<DecodeResult> {
    try {
      return await this.limiter.run(key, () => this.dispatch(task), maxWaitMs);
    } catch (e) {
      if (e instanceof QueueFull) {
        throw new ScrapeError('overloaded', `not decoded: leakwatch's decode queue is full (${e.queued} bodies waiting for ${this.size} worker(s))`);
      }
      if (e instanceof WaitedTooLong) {
        throw new ScrapeError('overloaded', `not decoded: no decode worker free within ${e.waitedMs} ms (leakwatch is busy, not the target)`);
      }
      throw e;
    }
  }

  /** Terminates the workers; tasks still running fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    for (const t of this.idleTimers.values()) clearTimeout(t);
    this.idleTimers.clear();
    for (const [, b] of this.busy) b.reject(new ScrapeError('other', 'leakwatch is stopping'));
    this.busy.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }

  private dispatch(task: DecodeTask): Promise<DecodeResult> {
    this.stats.tasks++;
    if (!this.entry) {
      this.stats.inline++;
      return Promise.resolve().then(() => runDecodeTask(task));
    }
    if (this.stopped) return Promise.reject(new ScrapeError('other', 'leakwatch is stopping'));
    const worker = this.idle.pop() ?? this.spawn(this.entry);
    clearTimeout(this.idleTimers.get(worker));
    this.idleTimers.delete(worker);
    return new Promise<DecodeResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stats.abandoned++;
        this.fail(worker, new ScrapeError('too_large', `decoding took over ${this.budgetMs / 1000} s and was abandoned (body too big or too complex)`));
        void worker.terminate();
      }, this.budgetMs);
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.busy.set(worker, { resolve: done(resolve), reject: done(reject) });
      const request: DecodeRequest = { id: this.nextId++, task };
      worker.postMessage(request, transferable(task));
    });
  }

  private spawn(entry: URL): Worker {
    // A small young generation (V8's default is up to 48 MB per isolate) keeps a worker that
    // decoded a burst of small profiles small; big decodes promote to the old generation anyway.
    const worker = new Worker(entry, { resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: this.youngMb } });
    this.stats.workersStarted++;
    // An idle worker never keeps the process alive.
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      const b = this.busy.get(worker);
      if (!b) return;
      this.busy.delete(worker);
      if (!this.stopped) this.parkIdle(worker);
      if (reply.ok) b.resolve(reply.result);
      else b.reject(new ScrapeError(reply.code, reply.detail, { stage: reply.stage }));
    });
    worker.on('error', (e: Error & { code?: string }) => {
      const err = e.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new ScrapeError('too_large', `decoding needed more than the decoder's ${this.maxHeapMb} MB of memory (body too big or too complex)`)
        : new ScrapeError('other', `decode worker failed: ${e.message}`);
      this.fail(worker, err);
    });
    worker.on('exit', () => this.fail(worker, new ScrapeError('other', 'decode worker exited')));
    return worker;
  }

  /** Puts a worker back in the idle list; it ends if no task takes it within idleMs. */
  private parkIdle(worker: Worker): void {
    this.idle.push(worker);
    const timer = setTimeout(() => {
      this.idleTimers.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i < 0) return;
      this.idle.splice(i, 1);
      this.stats.workersRetired++;
      void worker.terminate();
    }, this.idleMs);
    timer.unref();
    this.idleTimers.set(worker, timer);
  }

  /** Drops a worker that failed or ran over budget, failing its task; a new one starts on demand. */
  private fail(worker: Worker, err: ScrapeError): void {
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    clearTimeout(this.idleTimers.get(worker));
    this.idleTimers.delete(worker);
    const b = this.busy.get(worker);
    this.busy.delete(worker);
    b?.reject(err);
  }
}
