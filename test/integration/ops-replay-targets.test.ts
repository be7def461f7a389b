/**
 * The footprint bench's replay targets must look like a real Go service to the daemon: same bytes,
 * same status codes and content types as net/http/pprof, and `go tool pprof` must read them.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_DIR, startReplayTargets, type ReplayTargets } from '../bench/replay-targets.js';
import { scrapeService } from '../../src/collect/index.js';
import { goAvailable, startTarget, type RunningTarget } from '../helpers/go.js';

const fixture = (name: string) => readFileSync(join(DEFAULT_FIXTURE_DIR, name));
let replay: ReplayTargets;

beforeAll(async () => {
  replay = await startReplayTargets({ count: 3 });
});
afterAll(async () => {
  await replay?.close();
});

describe('replay targets', () => {
  it('start N listeners on distinct loopback ports', () => {
    expect(replay.targets.map((t) => t.name)).toEqual(['replay-0', 'replay-1', 'replay-2']);
    const ports = new Set(replay.targets.map((t) => new URL(t.base).port));
    expect(ports.size).toBe(3);
    for (const t of replay.targets) expect(t.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  const bodies: [string, string, string][] = [
    ['/debug/pprof/heap?debug=1', 'new_heap_debug1.txt', 'text/plain; charset=utf-8'],
    ['/debug/pprof/heap', 'new.pb.gz', 'application/octet-stream'],
    ['/debug/pprof/heap?gc=1', 'new.pb.gz', 'application/octet-stream'],
    ['/debug/pprof/heap?seconds=1', 'heap_delta.pb.gz', 'application/octet-stream'],
    ['/debug/pprof/allocs', 'base_allocs.pb.gz', 'application/octet-stream'],
    ['/debug/pprof/goroutine', 'goroutine.pb.gz', 'application/octet-stream'],
    ['/debug/pprof/goroutine?debug=1', 'goroutine_debug1.txt', 'text/plain; charset=utf-8'],
    ['/debug/pprof/goroutine?debug=2', 'goroutine_debug2.txt', 'text/plain; charset=utf-8'],
    ['/debug/vars', 'vars.json', 'application/json; charset=utf-8'],
  ];
  for (const [path, file, type] of bodies) {
    it(`serves ${path} as the recorded ${file}`, async () => {
      const res = await fetch(replay.targets[1].base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('content-encoding')).toBeNull();
      expect(Buffer.from(await res.arrayBuffer()).equals(fixture(file))).toBe(true);
    });
  }

  it('answers errors as net/http/pprof does and records every request', async () => {
    const t = replay.targets[2];
    const before = t.hits.length;
    const unknown = await fetch(`${t.base}/debug/pprof/nosuch`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('Unknown profile\n');
    expect((await fetch(`${t.base}/debug/pprof/heap?debug=1&seconds=1`)).status).toBe(400);
    expect((await fetch(`${t.base}/debug/vars`, { method: 'POST', body: '' })).status).toBe(405);
    expect(t.hits.slice(before).map((h) => [h.path, h.status])).toEqual([
      ['/debug/pprof/nosuch', 404],
      ['/debug/pprof/heap?debug=1&seconds=1', 400],
      ['/debug/vars', 405],
    ]);
    expect(t.hits.every((h) => Number.isFinite(h.at))).toBe(true);
  });

  it("is scraped by leakwatch's collector into a full sample", async () => {
    const t = replay.targets[0];
    const r = await scrapeService({ name: t.name, pprof: t.pprof, expvar: t.expvar, timeout: 5_000, maxBodySize: 1 << 20 });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    // MemStats from expvar, the goroutine count from the pprof index page: the heavy debug=1 pages are not asked.
    expect(r.fetched).toEqual(['expvar', 'pprofIndex']);
    expect(r.sample?.heapAlloc).toBe(98_216_216);
    expect(r.sample?.sys).toBe(107_077_912);
    expect(r.sample?.goroutines).toBe(11);
  });
});

describe.skipIf(!goAvailable())('replay targets vs the real tools', () => {
  let real: RunningTarget;
  beforeAll(async () => {
    real = await startTarget(['-mode', 'steady']);
  });
  afterAll(async () => {
    await real?.stop();
  });

  it('go tool pprof reads the served heap profile and prints the recorded top', async () => {
    // Asynchronous on purpose: the targets live in this process, so a sync exec would deadlock.
    const { stdout: out } = await promisify(execFile)('go', ['tool', 'pprof', '-top', `${replay.targets[0].pprof}/heap`], {
      env: { ...process.env, PPROF_TMPDIR: join(tmpdir(), 'leakwatch-pprof') },
      timeout: 30_000,
    });
    const noTime = (s: string) => s.split('\n').filter((l) => !l.startsWith('Time:')).join('\n').trim();
    expect(noTime(out)).toBe(noTime(fixture('expected_top_new.txt').toString()));
  });

  it('answers the same status and content type as a real Go service for each GET', async () => {
    const paths = [
      '/debug/pprof/heap', '/debug/pprof/heap?debug=1', '/debug/pprof/goroutine', '/debug/pprof/goroutine?debug=1',
      '/debug/pprof/goroutine?debug=2', '/debug/pprof/allocs', '/debug/vars', '/debug/pprof/nosuch',
      '/debug/pprof/heap?debug=1&seconds=1',
    ];
    const look = async (base: string, p: string) => {
      const res = await fetch(base + p);
      await res.arrayBuffer();
      return `${p} ${res.status} ${res.headers.get('content-type')}`;
    };
    for (const p of paths) expect(await look(replay.targets[0].base, p)).toBe(await look(real.base, p));
  });
});
