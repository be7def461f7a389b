import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { servicesFromTargets } from '../../src/discover/discovery.js';
import { inShard, shardFromEnv, shardOf } from '../../src/discover/shard.js';

/** 100 discovered targets, named as the default template names them. */
const NAMES = Array.from({ length: 100 }, (_, i) => `api/10.0.${Math.floor(i / 10)}.${i % 10}:8080`);

describe('shards', () => {
  it('two shards over 100 targets are disjoint and together cover all of them, both non-empty', () => {
    const a = NAMES.filter((n) => inShard(n, { count: 2, index: 0 }));
    const b = NAMES.filter((n) => inShard(n, { count: 2, index: 1 }));
    expect(a.filter((n) => b.includes(n))).toEqual([]);
    expect([...a, ...b].sort()).toEqual([...NAMES].sort());
    expect(a.length).toBeGreaterThan(20);
    expect(b.length).toBeGreaterThan(20);
  });

  it('is stable across restarts: the assignment is a pure function of the name (pinned values)', () => {
    // Pinned so a change of hash (which would move every service to another instance) fails here.
    // The values are what Prometheus' relabel sum64(md5.Sum(name)) % n gives, computed in Go.
    expect(NAMES.slice(0, 8).map((n) => shardOf(n, 2))).toEqual([1, 1, 0, 1, 0, 1, 1, 0]);
    expect(shardOf('checkout', 3)).toBe(0);
  });

  it('no shard, or one shard, watches everything', () => {
    expect(NAMES.every((n) => inShard(n, undefined) && inShard(n, { count: 1, index: 0 }))).toBe(true);
  });

  it('LEAKWATCH_SHARD=index/count overrides the file; a bad value names the variable', () => {
    expect(shardFromEnv('1/3', { count: 2, index: 0 })).toEqual({ index: 1, count: 3 });
    expect(shardFromEnv(undefined, { count: 2, index: 0 })).toEqual({ count: 2, index: 0 });
    expect(shardFromEnv('', undefined)).toBeUndefined();
    expect(() => shardFromEnv('2/2', undefined)).toThrow('LEAKWATCH_SHARD="2/2": expected index/count with index below count, like "0/2"');
    expect(() => shardFromEnv('one', undefined)).toThrow('LEAKWATCH_SHARD="one"');
  });

  it('two shards of one discovery over 100 targets: disjoint, complete, and the same whatever order the targets arrive in', () => {
    const fleet = parseConfig('discovery:\n  sources:\n    - files: [t.json]\n', { path: '/etc/leakwatch/leakwatch.yaml', env: {} }).fleet!;
    const targets = Array.from({ length: 100 }, (_, i) => ({ labels: { job: 'api', instance: `10.1.${i >> 4}.${i & 15}:8080` }, source: 'file:/etc/leakwatch/t.json' }));
    const run = (index: number, list = targets) => servicesFromTargets(list, fleet, { count: 2, index }).services.map((s) => s.name);
    const [a, b] = [run(0), run(1)];
    expect(a.filter((n) => b.includes(n))).toEqual([]);
    expect([...a, ...b].sort()).toEqual(targets.map((t) => `api/${t.labels.instance}`).sort());
    expect(Math.min(a.length, b.length)).toBeGreaterThan(20);
    // A restart (or another host) may list the targets in another order: each keeps its services.
    expect(run(0, [...targets].reverse()).sort()).toEqual([...a].sort());
  });
});
