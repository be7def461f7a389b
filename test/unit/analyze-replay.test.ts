import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay } from '../../src/analyze/replay.js';
import { firstLifetimeGuard } from '../../src/analyze/guard.js';
import { formatTrace, parseTrace, TraceError } from '../../src/analyze/trace.js';
import { SHAPES, scenario } from '../bench/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'leakwatch-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseTrace', () => {
  it('reads ISO and Unix-ms times, optional fields, and skips blank lines', () => {
    const text = [
      '{"t":"2026-01-05T00:00:00Z","heapAlloc":100,"nextGC":200,"processStart":"2026-01-04T23:59:00Z"}',
      '',
      '{"t":1767571215000,"goroutines":12,"rss":5000,"restart":true,"futureField":"ignored"}',
    ].join('\n');
    expect(parseTrace(text)).toEqual([
      { t: Date.UTC(2026, 0, 5), heapAlloc: 100, nextGC: 200, processStart: Date.UTC(2026, 0, 4, 23, 59) },
      { t: 1767571215000, goroutines: 12, rss: 5000, restart: true },
    ]);
  });

  it.each([
    { desc: 'bad JSON', text: '{"t":1}\n{"t":2,', line: 2, msg: /not valid JSON/ },
    { desc: 'missing t', text: '{"heapAlloc":1}', line: 1, msg: /t: missing/ },
    { desc: 'bad time', text: '{"t":"yesterday"}', line: 1, msg: /t: expected an ISO time/ },
    { desc: 'non-numeric field', text: '{"t":1}\n\n{"t":2,"rss":"big"}', line: 3, msg: /rss: expected a number/ },
    { desc: 'time going backwards', text: '{"t":5}\n{"t":4}', line: 2, msg: /t goes backwards/ },
    { desc: 'not an object', text: '[1,2]', line: 1, msg: /expected a JSON object/ },
  ])('$desc: names the line', ({ text, line, msg }) => {
    let err: unknown;
    try {
      parseTrace(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TraceError);
    expect((err as TraceError).line).toBe(line);
    expect((err as Error).message).toMatch(new RegExp(`^parsing trace: line ${line}: `));
    expect((err as Error).message).toMatch(msg);
  });

  it('round-trips through formatTrace', () => {
    const samples = scenario(SHAPES[0], 1).samples.slice(0, 50);
    expect(parseTrace(formatTrace(samples))).toEqual(samples);
  });
});

describe('replay of a trace file', () => {
  it('reports the incidents the daemon would have opened, with ISO times', () => {
    const sc = scenario(SHAPES.find((s) => s.name === 'leak-5%/h')!, 2);
    const file = join(dir, 'leak.jsonl');
    writeFileSync(file, formatTrace(sc.samples));
    const result = replay(parseTrace(readFileSync(file, 'utf8')), sc.service);
    const heap = result.incidents.filter((i) => i.metric === 'heap');
    expect(heap).toHaveLength(1);
    const onset = sc.samples[0].t + sc.truth.onsets[0] * 3_600_000;
    const opened = Date.parse(heap[0].openedAt);
    expect(heap[0].openedAt).toBe(new Date(opened).toISOString());
    expect(opened).toBeGreaterThan(onset);
    // A first lifetime gets no verdict before 3 warm-ups (at least 3/4 of the window) past its warm-up.
    const guardEnd = sc.samples[0].t + sc.service.warmup + firstLifetimeGuard(sc.service);
    expect(opened - Math.max(onset, guardEnd)).toBeLessThan(2 * 3_600_000);
    expect(heap[0].resolvedAt).toBeNull();
    // Conservative slope, in bytes per hour, below the simulated 5%/h of the base heap.
    expect(heap[0].slopePerHour).toBeGreaterThan(0);
    expect(heap[0].slopePerHour).toBeLessThan(0.05 * sc.baseHeap * 1.2);
  });

  it('resolves at a restart and reopens when the leak comes back in the next lifetime', () => {
    const sc = scenario(SHAPES.find((s) => s.name === 'leak-restarting')!, 1);
    const heap = replay(sc.samples, sc.service).incidents.filter((i) => i.metric === 'heap');
    expect(heap.length).toBeGreaterThanOrEqual(2);
    expect(heap[0].resolvedAt).not.toBeNull();
    expect(Date.parse(heap[1].openedAt)).toBeGreaterThan(Date.parse(heap[0].resolvedAt!));
  });
});
