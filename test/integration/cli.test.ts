/**
 * The command line as users run it (the compiled dist/cli/main.js): exit codes, `diff` against
 * `go tool pprof` itself, stored-profile diffs, explain, export-trace → replay, test-alert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goAvailable, goPprof } from '../helpers/go.js';
import { cli, cliAsync, tempDir, writeConfig } from '../helpers/daemon.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/receivers.js';
import { Store } from '../../src/store/index.js';
import { parseHeapText } from '../../src/collect/heap-text.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/pprof');
const withoutTime = (s: string) => s.split('\n').filter((l) => !l.startsWith('Time:')).join('\n');

describe('exit codes', () => {
  it('check-config: 0 for a good file, 1 with every error and its path for a bad one, 2 for usage', () => {
    const dir = tempDir();
    const good = writeConfig(dir, `database: ${join(dir, 'x.db')}\nservices:\n  - name: a\n    pprof: http://127.0.0.1:6060/debug/pprof\n`);
    expect(cli(['check-config', '--config', good])).toMatchObject({ code: 0 });
    const bad = writeConfig(
      dir,
      `services:\n  - name: a\n    thresholds: { heapGrowth: fast }\n    bogus: 1\n`,
      'bad.yaml',
    );
    const r = cli(['check-config', '--config', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('services[0].thresholds.heapGrowth: expected a rate like "10MB/h", got "fast"');
    expect(r.stderr).toMatch(/services\[0\]\.bogus/);
    expect(r.stderr).toMatch(/services\[0\].*pprof/);
    expect(cli(['check-config', '--config', good, '--nope']).code).toBe(2);
    expect(cli(['frobnicate']).code).toBe(2);
    expect(cli(['status', '--config', join(dir, 'missing.yaml')]).code).toBe(1);
    expect(cli(['explain', 'nosuch', '--config', good])).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown service "nosuch"') });
  });
});

describe.skipIf(!goAvailable())('leakwatch diff prints what go tool pprof prints', () => {
  for (const v of ['out119', 'out123']) {
    for (const sample of ['inuse_space', 'inuse_objects', 'alloc_space']) {
      it(`${v} ${sample}: BASE NEW, --json and -o`, () => {
        const base = join(fixtures, v, 'base.pb.gz');
        const next = join(fixtures, v, 'new.pb.gz');
        const oracle = goPprof(['-top', `-sample_index=${sample}`, '-diff_base', base, next]);
        const r = cli(['diff', base, next, '--sample', sample]);
        expect(r.code).toBe(0);
        expect(withoutTime(r.stdout)).toBe(withoutTime(oracle));

        const json = JSON.parse(cli(['diff', base, next, '--sample', sample, '--json']).stdout) as {
          sampleType: string; unit: string; total: number; rows: { function: string; flat: number; cum: number }[];
        };
        expect(json.sampleType).toBe(sample);
        expect(json.unit).toBe(sample.endsWith('space') ? 'bytes' : 'count');
        const total = Number(/of (\S+) total/.exec(oracle)![1]!.replace(/[a-zA-Z]+$/, ''));
        expect(total).toBeGreaterThan(0);
        // Every function appears in the JSON; the ones -top shows have its rounded values.
        const names = new Set(json.rows.map((x) => x.function));
        const row = /^\s*\S+\s+\S+%\s+\S+%\s+\S+\s+\S+%\s+(.+?)(?: \((?:partial-)?inline\))?$/;
        const shown = oracle.split('\n').flatMap((l) => row.exec(l)?.[1] ?? []);
        expect(shown.length).toBeGreaterThan(3);
        for (const name of shown) expect(names.has(name), name).toBe(true);

        const out = join(tempDir(), 'diff.pb.gz');
        expect(cli(['diff', base, next, '--sample', sample, '-o', out]).code).toBe(0);
        expect(withoutTime(goPprof(['-top', `-sample_index=${sample}`, out]))).toBe(withoutTime(oracle));
      });
    }
  }

  it('diffs stored profiles by id (and the fixture diff matches the recorded tool output)', () => {
    const dir = tempDir();
    const db = join(dir, 'lw.db');
    const store = Store.open(db);
    const t0 = Date.now() - 60_000;
    const ids = ['base', 'new'].map(
      (f, i) => store.recordScrape('checkout', { at: t0 + i * 30_000, ok: true, durationMs: 1, profiles: [{ kind: 'heap', data: readFileSync(join(fixtures, 'out123', `${f}.pb.gz`)) }] }).profileIds[0]!,
    );
    store.close();
    const config = writeConfig(dir, `database: ${db}\nservices:\n  - name: checkout\n    pprof: http://127.0.0.1:1/debug/pprof\n`);
    const r = cli(['diff', 'checkout', '--from', String(ids[0]), '--to', String(ids[1]), '--config', config]);
    expect(r.code).toBe(0);
    expect(withoutTime(r.stdout)).toBe(withoutTime(readFileSync(join(fixtures, 'out123/expected_top_diff_base.txt'), 'utf8')));
    // Default range: the window's first profile to the newest.
    expect(withoutTime(cli(['diff', 'checkout', '--config', config]).stdout)).toBe(withoutTime(r.stdout));
  });
});

describe('explain, export-trace, replay, test-alert', () => {
  let dir: string;
  let config: string;
  let slack: SlackReceiver;

  beforeAll(async () => {
    slack = await startSlackReceiver();
    dir = tempDir();
    const db = join(dir, 'lw.db');
    const store = Store.open(db);
    const mem = parseHeapText(readFileSync(join(fixtures, 'out123/new_heap_debug1.txt'), 'utf8'));
    // Two hours at 15 s: a heap floor growing 40 MB/h, with GC sawtooth on top.
    const t0 = Date.now() - 2 * 3600_000;
    for (let i = 0; i < 480; i++) {
      const live = 100e6 + (40e6 * i) / 240;
      store.recordScrape('checkout', {
        at: t0 + i * 15_000, ok: true, durationMs: 2,
        sample: { ...mem, t: t0 + i * 15_000, heapAlloc: live * (1 + (i % 4) / 4), nextGC: 2 * live, gogc: 100, numGC: 1 + 3 * i, processStart: t0 - 60_000, rss: 400e6 },
      });
    }
    store.recordScrape('explained', { at: Date.now(), ok: true, durationMs: 2, sample: { ...mem, t: Date.now(), rss: 400e6 } });
    store.close();
    config = writeConfig(
      dir,
      `database: ${db}
defaults:
  window: 1h
  warmup: 1m
  thresholds: { heapGrowth: 10MB/h }
channels:
  ops: { type: slack, webhookUrl: "${slack.url}" }
services:
  - name: checkout
    pprof: http://127.0.0.1:1/debug/pprof
  - name: explained
    pprof: http://127.0.0.1:1/debug/pprof
`,
    );
  });
  afterAll(() => slack?.close());

  it('explain: parts that add up to what Go holds, non-Go memory from RSS, plain words', () => {
    const r = cli(['explain', 'explained', '--json', '--config', config]);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as { rss: number; sys: number; heapReleased: number; parts: Record<string, number>; summary: string };
    const parts = e.parts;
    expect(parts.liveHeap! + parts.fragmentation! + parts.idleRetained! + parts.stacks! + parts.gcMetadata! + parts.otherRuntime!).toBe(e.sys - e.heapReleased);
    expect(parts.nonGo).toBe(Math.max(0, e.rss - (e.sys - e.heapReleased)));
    expect(e.summary).toMatch(/outside the Go heap|cgo|mmap/);
    const text = cli(['explain', 'explained', '--config', config]);
    expect(text.stdout).toMatch(/live heap/i);
  });

  it('export-trace then replay opens the heap incident the daemon would', () => {
    const trace = join(dir, 'checkout.jsonl');
    expect(cli(['export-trace', 'checkout', '-o', trace, '--config', config]).code).toBe(0);
    expect(readFileSync(trace, 'utf8').trim().split('\n')).toHaveLength(480);
    const r = cli(['replay', '--service', 'checkout', '--trace', trace, '--json', '--config', config]);
    expect(r.code).toBe(0);
    const { incidents } = JSON.parse(r.stdout) as { incidents: { metric: string; openedAt: string; slopePerHour: number }[] };
    expect(incidents.map((i) => i.metric)).toEqual(['heap']);
    expect(incidents[0]!.slopePerHour).toBeGreaterThan(10e6);
    expect(incidents[0]!.slopePerHour).toBeLessThan(45e6);
    const bad = join(dir, 'bad.jsonl');
    writeConfig(dir, '{"t": 1}\nnot json\n', 'bad.jsonl');
    expect(cli(['replay', '--service', 'checkout', '--trace', bad, '--config', config])).toMatchObject({ code: 1, stderr: expect.stringMatching(/line 2/) });
  });

  it('test-alert sends a marked test message and never prints the webhook URL', async () => {
    const r = await cliAsync(['test-alert', '--config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ops: sent');
    await slack.waitFor(1);
    expect(JSON.stringify(slack.received[0]!.body)).toMatch(/test/i);
    expect(r.stdout + r.stderr).not.toContain(slack.url.split('/').pop()!);
  });

  it('status shows the fitted heap trend', () => {
    const r = cli(['status', '--json', '--config', config]);
    const s = (JSON.parse(r.stdout) as { services: { name: string; trends: { heap?: { slopePerHour: number; confidence: number } } }[] }).services[0]!;
    expect(s.trends.heap!.slopePerHour).toBeGreaterThan(20e6);
    expect(s.trends.heap!.confidence).toBeGreaterThan(0.9);
  });
});
