/**
 * The collector's bounded pools: the fair limiter's order and bounds, and the decode pool on real
 * worker threads (the compiled worker in dist/, as the daemon runs it).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FairLimiter, QueueFull, WaitedTooLong } from '../../src/collect/fair-limiter.js';
import { DecodePool, resolveWorkerEntry } from '../../src/collect/decode-pool.js';
import { ScrapeError } from '../../src/collect/errors.js';
import { encodeProfile } from '../../src/profile/encode.js';
import { syntheticHeapProfile } from '../bench/decode.js';

const here = dirname(fileURLToPath(import.meta.url));
const HEAP_PROTO = readFileSync(join(here, '../fixtures/pprof/out123/new.pb.gz'));
const VARS = readFileSync(join(here, '../fixtures/pprof/out123/vars.json'));

/** A promise with its resolver, to hold a task open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('FairLimiter', () => {
  it('serves waiting services round-robin: one busy service cannot starve another', async () => {
    const limiter = new FairLimiter({ limit: 1, perKey: 1, maxQueued: 100 });
    const order: string[] = [];
    const first = gate();
    const tasks = [limiter.run('hostile', () => first.promise.then(() => void order.push('hostile-0')))];
    for (let i = 1; i <= 3; i++) tasks.push(limiter.run('hostile', async () => void order.push(`hostile-${i}`)));
    tasks.push(limiter.run('healthy', async () => void order.push('healthy-0')));
    tasks.push(limiter.run('healthy', async () => void order.push('healthy-1')));
    expect(limiter.load).toEqual({ running: 1, waiting: 5 });
    first.open();
    await Promise.all(tasks);
    expect(order).toEqual(['hostile-0', 'hostile-1', 'healthy-0', 'hostile-2', 'healthy-1', 'hostile-3']);
  });

  it('holds each service to its share and the whole to the limit', async () => {
    const limiter = new FairLimiter({ limit: 3, perKey: 2, maxQueued: 100 });
    let running = 0;
    let peak = 0;
    const perKeyPeak = new Map<string, number>();
    const perKey = new Map<string, number>();
    const task = (key: string) => limiter.run(key, async () => {
      running++;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
      peak = Math.max(peak, running);
      perKeyPeak.set(key, Math.max(perKeyPeak.get(key) ?? 0, perKey.get(key)!));
      await new Promise((r) => setImmediate(r));
      running--;
      perKey.set(key, perKey.get(key)! - 1);
    });
    await Promise.all([...Array(10)].map((_, i) => task(i % 3 === 0 ? 'b' : 'a')));
    expect(peak).toBe(3);
    expect(Math.max(...perKeyPeak.values())).toBe(2);
  });

  it('refuses past its queue bound, and a task that waited too long never runs', async () => {
    const limiter = new FairLimiter({ limit: 1, perKey: 1, maxQueued: 1 });
    const hold = gate();
    const running = limiter.run('a', () => hold.promise);
    let ran = false;
    const waiting = limiter.run('b', async () => void (ran = true), 20);
    await expect(limiter.run('c', async () => undefined)).rejects.toBeInstanceOf(QueueFull);
    await expect(waiting).rejects.toBeInstanceOf(WaitedTooLong);
    hold.open();
    await running;
    expect(ran).toBe(false);
    expect(limiter.load).toEqual({ running: 0, waiting: 0 });
    await limiter.run('b', async () => void (ran = true));
    expect(ran).toBe(true);
  });
});

describe('DecodePool on worker threads', () => {
  const pool = new DecodePool({ size: 1 });
  afterAll(() => pool.stop());

  it('finds its compiled worker from the TS sources (vitest) and from dist/', () => {
    expect(pool.threaded).toBe(true);
    const fromSrc = resolveWorkerEntry(pathToFileURL(join(here, '../../src/collect/decode-pool.ts')).href);
    expect(fromSrc && fileURLToPath(fromSrc)).toBe(join(here, '../../dist/collect/decode-worker.js'));
    const fromDist = resolveWorkerEntry(pathToFileURL(join(here, '../../dist/collect/decode-pool.js')).href);
    expect(fromDist && fileURLToPath(fromDist)).toBe(join(here, '../../dist/collect/decode-worker.js'));
    expect(resolveWorkerEntry('file:///nowhere/src/collect/decode-pool.ts')).toBeUndefined();
  });

  it('checks a real Go heap profile and parses expvar on a worker', async () => {
    const r = await pool.run('svc', { type: 'profile', data: HEAP_PROTO, kind: 'heap', maxDecompressed: 1 << 30 });
    expect(r.type === 'profile' && r.summary.sampleTypes).toEqual(['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']);
    expect(r.type === 'profile' && r.summary.timeNanos > 0n).toBe(true);
    const v = await pool.run('svc', { type: 'expvar', body: VARS });
    expect(v.type === 'sample' && v.part.heapAlloc).toBeGreaterThan(0);
    expect(pool.stats.workersStarted).toBe(1);
  });

  it('refuses a gzip bomb with its own reason, and a wrong profile kind', async () => {
    const member = gzipSync(Buffer.alloc(64 << 20));
    const bomb = Buffer.concat(Array(16).fill(member));
    const err = await pool.run('bomb', { type: 'profile', data: bomb, kind: 'heap', maxDecompressed: 256 << 20 }).catch((e) => e);
    expect(err).toBeInstanceOf(ScrapeError);
    expect(err.code).toBe('too_large');
    expect(err.message).toMatch(/^gzip bomb: .* of gzip inflated to over [\d.]+ MB/);
    const wrong = await pool.run('svc', { type: 'profile', data: HEAP_PROTO, kind: 'goroutine', maxDecompressed: 1 << 30 }).catch((e) => e);
    expect(wrong.code).toBe('bad_profile');
    expect(wrong.message).toMatch(/expected a goroutine profile/);
  });

  it('abandons a decode over its budget, replaces the worker, and keeps serving', async () => {
    const slow = new DecodePool({ size: 1, budgetMs: 1 });
    try {
      const big = encodeProfile(syntheticHeapProfile(50_000));
      const err = await slow.run('big', { type: 'profile', data: big, kind: 'heap', maxDecompressed: 1 << 30 }).catch((e) => e);
      expect(err.code).toBe('too_large');
      expect(err.message).toMatch(/took over 0.001 s and was abandoned/);
      expect(slow.stats.abandoned).toBe(1);
    } finally {
      await slow.stop();
    }
    const r = await pool.run('svc', { type: 'profile', data: HEAP_PROTO, kind: 'heap', maxDecompressed: 1 << 30 });
    expect(r.type).toBe('profile');
  });

  it('starts a worker at the first task, ends it after idleMs without one, and starts another on demand', async () => {
    const lazy = new DecodePool({ size: 1, idleMs: 50 });
    try {
      expect(lazy.workers).toBe(0);
      expect(lazy.stats.workersStarted).toBe(0);
      const first = await lazy.run('svc', { type: 'profile', data: HEAP_PROTO, kind: 'heap', maxDecompressed: 1 << 30 });
      expect(first.type).toBe('profile');
      expect(lazy.stats.workersStarted).toBe(1);
      await vi.waitFor(() => expect(lazy.workers).toBe(0), { timeout: 10_000, interval: 20 });
      expect(lazy.stats.workersRetired).toBe(1);
      const again = await lazy.run('svc', { type: 'expvar', body: VARS });
      expect(again.type === 'sample' && again.part.heapAlloc).toBeGreaterThan(0);
      expect(lazy.stats.workersStarted).toBe(2);
      expect(lazy.stats.inline).toBe(0);
    } finally {
      await lazy.stop();
    }
  });

  it('keeps a worker that gets tasks more often than idleMs', async () => {
    const kept = new DecodePool({ size: 1, idleMs: 60_000 });
    try {
      for (let i = 0; i < 3; i++) await kept.run('svc', { type: 'expvar', body: VARS });
      expect(kept.workers).toBe(1);
      expect(kept.stats).toMatchObject({ tasks: 3, workersStarted: 1, workersRetired: 0 });
    } finally {
      await kept.stop();
    }
  });

  it('runs the same tasks inline when no worker entry is given', async () => {
    const inline = new DecodePool({ entry: null });
    const r = await inline.run('svc', { type: 'profile', data: HEAP_PROTO, kind: 'heap', maxDecompressed: 1 << 30 });
    expect(r.type).toBe('profile');
    expect(inline.threaded).toBe(false);
    expect(inline.stats.inline).toBe(1);
  });
});
