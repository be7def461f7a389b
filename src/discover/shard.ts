/**
 * Shards (design §8): N leakwatch instances with the same discovery each watch the services whose
 * name hashes to their index, the way Prometheus' `hashmod` relabelling splits targets: the md5
 * of the name as a uint64 (Go's sum64 keeps the digest's last 8 bytes), modulo the count. Stable
 * across restarts and hosts; adding a service never moves another. Pure.
 */
import { createHash } from 'node:crypto';
import type { Shard } from '../config/fleet.js';

export function shardOf(name: string, count: number): number {
  const sum64 = createHash('md5').update(name).digest().readBigUInt64BE(8);
  return Number(sum64 % BigInt(count));
}

export function inShard(name: string, shard: Shard | undefined): boolean {
  return shard === undefined || shard.count === 1 || shardOf(name, shard.count) === shard.index;
}

/**
 * `LEAKWATCH_SHARD=index/count` (e.g. `0/2`), so one templated systemd unit serves every shard;
 * it overrides `shard:` in the file. Throws a message naming the variable when malformed.
 */
export function shardFromEnv(value: string | undefined, fromConfig: Shard | undefined): Shard | undefined {
  if (value === undefined || value.trim() === '') return fromConfig;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
  if (!shard || shard.count < 1 || shard.index >= shard.count) {
    throw new Error(`LEAKWATCH_SHARD=${JSON.stringify(value)}: expected index/count with index below count, like "0/2"`);
  }
  return shard;
}
