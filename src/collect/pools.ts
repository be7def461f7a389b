/**
 * The collector's two bounded pools, shared by every service: fetches (a FairLimiter, so no
 * service holds more than its share of connections) and decodes (DecodePool, worker threads).
 * The daemon owns one set (createPools, stopped with it); tests and benches that do not pass
 * one share a lazily created set whose idle workers never keep the process alive.
 */
import type { ParseOptions } from './validate.js';
import type { Sample } from '../model/sample.js';
import type { DecodeResult } from './decode-tasks.js';
import { runDecodeTask } from './decode-tasks.js';
import { DecodePool, type DecodePoolOptions } from './decode-pool.js';
import { ScrapeError } from './errors.js';
import { FairLimiter, QueueFull, WaitedTooLong, type FairLimits } from './fair-limiter.js';
import { fetchBody, type FetchOptions } from './http.js';
import type { ScrapeTarget } from './target.js';

export interface CollectPools {
  fetch: FairLimiter;
  decode: DecodePool;
}

/**
 * 64 requests at once across services, 4 per service (a scrape's pprof, expvar and metrics
 * requests plus a profile capture): a target that drips or never ends holds at most 4 of them.
 */
export const FETCH_LIMITS: FairLimits = { limit: 64, perKey: 4, maxQueued: 4096 };

/** expvar and /metrics bodies beyond this are refused (profiles keep maxBodySize). */
export const TEXT_BODY_CAP = 8 << 20;

/** Text bodies up to this parse inline (well under a millisecond); bigger ones on a worker. */
export const INLINE_TEXT_MAX = 256 << 10;

export function createPools(opts: { fetch?: FairLimits; decode?: DecodePoolOptions } = {}): CollectPools {
  return { fetch: new FairLimiter(opts.fetch ?? FETCH_LIMITS), decode: new DecodePool(opts.decode) };
}

let shared: CollectPools | undefined;

export function sharedPools(): CollectPools {
  shared ??= createPools();
  return shared;
}

/** The body cap of one source: expvar and metrics have their own, smaller one. */
export function bodyCap(svc: ScrapeTarget, source: 'pprof' | 'expvar' | 'metrics'): { maxBytes: number; capName: string } {
  if (source === 'pprof' || svc.maxBodySize <= TEXT_BODY_CAP) return { maxBytes: svc.maxBodySize, capName: 'maxBodySize' };
  return { maxBytes: TEXT_BODY_CAP, capName: `the ${source} body cap` };
}

/**
 * fetchBody in the fetch pool, for service `key`. Its timeout starts when the request does; a
 * request that found no free slot within its own timeout is not sent ('overloaded').
 */
export async function fetchInPool(pools: CollectPools, key: string, url: string, opts: FetchOptions): Promise<Buffer> {
  try {
    return await pools.fetch.run(key, () => fetchBody(url, opts), opts.timeoutMs);
  } catch (e) {
    if (e instanceof QueueFull) throw new ScrapeError('overloaded', `not sent: leakwatch's request queue is full (${e.queued} waiting)`);
    if (e instanceof WaitedTooLong) {
      throw new ScrapeError('overloaded', `not sent: leakwatch had all ${pools.fetch.limits.limit} request slots busy for ${e.waitedMs} ms (leakwatch is busy, not the target)`);
    }
    throw e;
  }
}

/** Parses an expvar or /metrics body: inline when small, on a decode worker when big. */
export async function parseTextBody(
  pools: CollectPools,
  key: string,
  type: 'expvar' | 'metrics',
  body: Buffer,
  maxWaitMs: number,
  opts: ParseOptions = {},
): Promise<Partial<Sample>> {
  const task = { type, body, now: opts.now } as const;
  const r: DecodeResult = body.length <= INLINE_TEXT_MAX ? runDecodeTask(task) : await pools.decode.run(key, task, maxWaitMs);
  if (r.type !== 'sample') throw new Error(`decode pool: expected a sample for ${type}`);
  opts.invalid?.push(...r.invalid);
  return r.part;
}
