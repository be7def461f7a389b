/** The collector against the real Go test target: values agree with what the program itself reports. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGoroutineCount } from '../../src/collect/goroutine-text.js';
import { fetchBody } from '../../src/collect/http.js';
import { parsePrometheus } from '../../src/collect/prometheus.js';
import { START_TOLERANCE_MS } from '../../src/model/restart.js';
import { captureProfiles, scrapeService, ScrapePlan } from '../../src/collect/scrape.js';
import type { ScrapeTarget } from '../../src/collect/target.js';
import { goAvailable, goPprof, startTarget, type RunningTarget } from '../helpers/go.js';

describe.skipIf(!goAvailable())('collector against the real Go target', () => {
  let target: RunningTarget;
  let svc: ScrapeTarget;

  beforeAll(async () => {
    // A slow leak, so the heap profile has a growing function to find.
    target = await startTarget(['-mode', 'leak', '-rate', '200000']);
    svc = {
      name: 'target',
      pprof: `${target.base}/debug/pprof`,
      expvar: `${target.base}/debug/vars`,
      metrics: `${target.base}/metrics`,
      pid: target.pid,
      timeout: 5000,
      maxBodySize: 64 * 1024 * 1024,
    };
    // Let the first GC cycles and leak ticks happen.
    await new Promise((r) => setTimeout(r, 1500));
  });

  afterAll(async () => {
    await target?.stop();
  });

  const text = async (path: string): Promise<string> =>
    (await fetchBody(`${target.base}${path}`, { timeoutMs: 5000, maxBytes: 64 << 20 })).toString('utf8');

  it.each<[string, Partial<ScrapeTarget>, string[]]>([
    ['metrics configured: /metrics alone', {}, ['proc', 'metrics']],
    ['expvar and pprof: /debug/vars and the pprof index page', { metrics: undefined }, ['proc', 'expvar', 'pprofIndex']],
    ['pprof only: the index page and the streamed heap?debug=1 footer', { metrics: undefined, expvar: undefined }, ['proc', 'pprofIndex', 'heapText']],
  ])('%s gives one full sample, with no failures', async (_name, over, fetched) => {
    const r = await scrapeService({ ...svc, ...over });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.fetched).toEqual(fetched);
    const s = r.sample!;
    // Each MemStats source is one stop-the-world ReadMemStats: go-formats §5 holds exactly.
    expect(s.sys).toBe(s.heapSys! + s.stackSys! + s.mspanSys! + s.mcacheSys! + s.buckHashSys! + s.gcSys! + s.otherSys!);
    expect(s.heapSys).toBe(s.heapInuse! + s.heapIdle!);
    expect(s.numGC).toBeGreaterThan(0);
    expect(s.nextGC).toBeGreaterThan(0);
    expect(s.goroutines).toBeGreaterThanOrEqual(2);
    expect(s.pid).toBe(target.pid);
    expect(s.restart).toBeUndefined();
  });

  it('pprof only: between two heap?debug=1 fetches a sample has the goroutine count and RSS, and no MemStats', async () => {
    const plan = new ScrapePlan({ heapTextEveryMs: 60_000 });
    const pprofOnly = { ...svc, metrics: undefined, expvar: undefined };
    const first = await scrapeService(pprofOnly, undefined, { plan });
    const second = await scrapeService(pprofOnly, undefined, { plan });
    expect(first.fetched).toEqual(['proc', 'pprofIndex', 'heapText']);
    expect(second.fetched).toEqual(['proc', 'pprofIndex']);
    expect(second.sample).toMatchObject({ goroutines: expect.any(Number), rss: expect.any(Number), restart: false });
    expect(second.sample!.heapAlloc).toBeUndefined();
    expect(second.sample!.nextGC).toBeUndefined();
  });

  it('counts goroutines from the pprof index page like goroutine?debug=1 and go_goroutines do', async () => {
    const [r, debug1, metrics] = await Promise.all([scrapeService({ ...svc, metrics: undefined }), text('/debug/pprof/goroutine?debug=1'), text('/metrics')]);
    expect(r.fetched).toContain('pprofIndex');
    const s = r.sample!;
    // Concurrent HTTP connections each hold a goroutine in the target, so allow a few.
    expect(Math.abs(s.goroutines! - parseGoroutineCount(debug1))).toBeLessThanOrEqual(8);
    expect(Math.abs(s.goroutines! - parsePrometheus(metrics).goroutines!)).toBeLessThanOrEqual(8);
    expect(s.goroutines).toBeGreaterThanOrEqual(2);
  });

  it('reads RSS and start time of the target from /proc, agreeing with its process metrics', async () => {
    const [r, metrics] = await Promise.all([scrapeService({ ...svc, metrics: undefined }), text('/metrics')]);
    const m = parsePrometheus(metrics);
    const s = r.sample!;
    expect(s.rss).toBeGreaterThan(0);
    expect(s.rss! / m.rss!).toBeGreaterThan(0.75);
    expect(s.rss! / m.rss!).toBeLessThan(1.33);
    expect(Math.abs(s.processStart! - m.processStart!)).toBeLessThan(START_TOLERANCE_MS);
  });

  it('sees no restart between two scrapes of one process, and a restart across processes', async () => {
    const first = await scrapeService(svc);
    const second = await scrapeService(svc, first.sample);
    expect(second.sample!.restart).toBe(false);
    expect(second.sample!.totalAlloc!).toBeGreaterThanOrEqual(first.sample!.totalAlloc!);

    const other = await startTarget(['-mode', 'steady']);
    try {
      const moved = await scrapeService({ ...svc, pprof: `${other.base}/debug/pprof`, expvar: undefined, metrics: undefined, pid: other.pid }, second.sample);
      expect(moved.sample!.restart).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('captures heap and goroutine profiles that decode and that go tool pprof reads the same way', async () => {
    // A heap profile shows allocations as of the target's last completed GC: on a loaded machine
    // the leak's first samples may not have been through one yet, so capture again (up to 20 s).
    const leaking = (p: { profile: { functions: { name: string }[] } }): boolean =>
      p.profile.functions.some((f) => f.name === 'main.(*sessionStore).remember');
    let capture = await captureProfiles(svc, ['heap', 'goroutine']);
    for (const until = Date.now() + 20_000; capture.profiles[0] && !leaking(capture.profiles[0]) && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 500));
      capture = await captureProfiles(svc, ['heap', 'goroutine']);
    }
    const { profiles, failures } = capture;
    expect(failures).toEqual([]);
    const [heap, goroutine] = profiles;
    expect(heap.kind).toBe('heap');
    expect([...heap.data.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(leaking(heap)).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'lw-capture-'));
    const file = join(dir, 'goroutine.pb.gz');
    writeFileSync(file, goroutine.data);
    const total = goroutine.profile.samples.reduce((acc, s) => acc + s.values[0], 0);
    // "Showing nodes accounting for N, 100% of N total": the tool's count of the stored bytes.
    const m = /of (\d+) total/.exec(goPprof(['-top', file]));
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(total);
    expect(total).toBeGreaterThanOrEqual(2);
  });
});
