/** Parts: start in order, undo in reverse on failure, stop every part even when one fails to stop. */
import { describe, expect, it } from 'vitest';
import { Parts, type Part } from '../../src/daemon/parts.js';
import { silentLogger } from '../../src/log/log.js';
import type { Config } from '../../src/config/schema.js';

function recorder() {
  const calls: string[] = [];
  const part = (name: string, fail: { start?: boolean; apply?: boolean; stop?: boolean } = {}): Part => ({
    name,
    start: async () => {
      calls.push(`start ${name}`);
      if (fail.start) throw new Error(`${name} cannot start`);
    },
    applyConfig: () => {
      calls.push(`apply ${name}`);
      if (fail.apply) throw new Error(`${name} refused`);
    },
    stop: () => {
      calls.push(`stop ${name}`);
      if (fail.stop) throw new Error(`${name} stuck`);
    },
  });
  return { calls, part };
}
const config = {} as Config;

describe('Parts', () => {
  it('starts in order and stops in reverse', async () => {
    const { calls, part } = recorder();
    const parts = new Parts(silentLogger);
    await parts.start([part('a'), part('b'), part('c')]);
    expect(parts.running).toEqual(['a', 'b', 'c']);
    await parts.stop();
    expect(calls).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    expect(parts.running).toEqual([]);
  });

  it('a part that fails to start: it and the ones before stop in reverse, the rest never start, start rejects with its error', async () => {
    const { calls, part } = recorder();
    const parts = new Parts(silentLogger);
    await expect(parts.start([part('a'), part('b'), part('c', { start: true }), part('d')])).rejects.toThrow('c cannot start');
    expect(calls).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    expect(parts.running).toEqual([]);
  });

  it('a part that fails to stop does not keep the others running', async () => {
    const { calls, part } = recorder();
    const parts = new Parts(silentLogger);
    await parts.start([part('a'), part('b', { stop: true }), part('c')]);
    await parts.stop();
    expect(calls.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it('applyConfig reaches every part even after one refuses, then rejects naming it', async () => {
    const { calls, part } = recorder();
    const parts = new Parts(silentLogger);
    await parts.start([part('a'), part('b', { apply: true }), part('c')]);
    await expect(parts.applyConfig(config)).rejects.toThrow('b: b refused');
    expect(calls.slice(3)).toEqual(['apply a', 'apply b', 'apply c']);
    expect(parts.running).toEqual(['a', 'b', 'c']);
  });
});
