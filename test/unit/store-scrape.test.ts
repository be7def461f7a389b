import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_FIELDS, type ProfileKind, type Sample } from '../../src/model/sample.js';
import { Store } from '../../src/store/index.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/pprof/out119');
const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

/** MemStats from out119/new_heap_debug1.txt, plus every other field with a realistic value. */
function fullSample(t: number): Required<Sample> {
  return {
    t,
    heapAlloc: 97527736, heapInuse: 98459648, heapIdle: 1875968, heapReleased: 1843200, heapSys: 100335616,
    heapObjects: 127404, sys: 115228952, stackInuse: 327680, stackSys: 327680, mspanInuse: 1348272,
    mspanSys: 1350576, mcacheInuse: 2400, mcacheSys: 15600, buckHashSys: 1450772, gcSys: 11073424,
    otherSys: 675284, nextGC: 159472496, lastGC: 1795686235079304286, numGC: 6, numForcedGC: 0,
    totalAlloc: 2 ** 53, mallocs: 128920, frees: 1516, pauseTotalNs: 1234567, gcCPUFraction: 0.00937193977056347,
    goroutines: 1042, rss: 39264256, processStart: 1795686230123.456, pid: 4242, gogc: 100,
    gomemlimit: 9223372036854775807, restart: false,
  };
}

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'leakwatch-store-'));
  store = Store.open(join(dir, 'lw.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function scrape(at: number, extra: Partial<Parameters<Store['recordScrape']>[1]> = {}) {
  return store.recordScrape('checkout', { at, ok: true, durationMs: 12.5, ...extra });
}

describe('Store samples', () => {
  it('round-trips every Sample field exactly, including totalAlloc = 2^53 and ns timestamps', () => {
    const s = fullSample(T0);
    expect(Object.keys(s).sort()).toEqual([...SAMPLE_FIELDS, 't', 'restart'].sort());
    const { sampleId } = scrape(T0, { sample: s });
    expect(sampleId).toBeGreaterThan(0);
    const back = store.samples('checkout');
    expect(back).toEqual([s]);
    expect(back[0].totalAlloc).toBe(9007199254740992);
    expect(back[0].lastGC).toBe(1795686235079304286);
    expect(store.latestSample('checkout')).toEqual(s);
  });

  it('streams a window oldest first, the same samples a range read returns (ties in t by insertion)', () => {
    for (const dt of [3, 1, 1, 2, 9]) scrape(T0 + dt, { sample: { t: T0 + dt, heapAlloc: 100 + dt, goroutines: dt } });
    const window = [...store.eachSample('checkout', { from: T0 + 1, to: T0 + 3 })];
    expect(window).toEqual(store.samples('checkout', { from: T0 + 1, to: T0 + 3 }));
    expect(window.map((s) => s.t - T0)).toEqual([1, 1, 2, 3]);
    expect([...store.eachSample('nobody')]).toEqual([]);
  });

  it('omits unobserved fields instead of returning null', () => {
    scrape(T0, { sample: { t: T0, heapAlloc: 5, goroutines: 3 } });
    scrape(T0 + 1, { sample: { t: T0 + 1, rss: 7, restart: true } });
    expect(store.samples('checkout')).toEqual([
      { t: T0, heapAlloc: 5, goroutines: 3 },
      { t: T0 + 1, rss: 7, restart: true },
    ]);
  });

  it('answers range queries oldest first, limit keeping the newest', () => {
    for (let i = 0; i < 10; i++) scrape(T0 + i * 1000, { sample: { t: T0 + i * 1000, heapAlloc: i } });
    const heap = (q: Parameters<Store['samples']>[1]) => store.samples('checkout', q).map((s) => s.heapAlloc);
    expect(heap({})).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(heap({ from: T0 + 2000, to: T0 + 5000 })).toEqual([2, 3, 4, 5]);
    expect(heap({ limit: 3 })).toEqual([7, 8, 9]);
    expect(heap({ to: T0 + 5000, limit: 2 })).toEqual([4, 5]);
    expect(store.sampleCount('checkout')).toBe(10);
    expect(store.latestSample('checkout')?.heapAlloc).toBe(9);
  });

  it('finds the newest sample with MemStats when later ones (pprof only, between heap?debug=1 reads) have none', () => {
    scrape(T0, { sample: { t: T0, heapAlloc: 5, sys: 50, goroutines: 3 } });
    scrape(T0 + 15_000, { sample: { t: T0 + 15_000, goroutines: 4, rss: 100 } });
    expect(store.latestSample('checkout')).toMatchObject({ t: T0 + 15_000, goroutines: 4 });
    expect(store.latestMemStats('checkout')).toMatchObject({ t: T0, heapAlloc: 5, sys: 50 });
    expect(store.latestMemStats('nope')).toBeUndefined();
  });

  it('keeps services apart and knows nothing of unknown ones', () => {
    scrape(T0, { sample: { t: T0, heapAlloc: 1 } });
    store.recordScrape('billing', { at: T0, ok: false, reason: 'timeout', durationMs: 5000 });
    expect(store.serviceNames()).toEqual(['billing', 'checkout']);
    expect(store.samples('billing')).toEqual([]);
    expect(store.sampleCount('nope')).toBe(0);
    expect(store.latestSample('nope')).toBeUndefined();
    expect(store.lastScrape('nope')).toBeUndefined();
    expect(store.listProfiles('nope')).toEqual([]);
    expect(store.serviceNames()).not.toContain('nope');
  });

  it('rejects a NaN field rather than storing it as "not observed"', () => {
    expect(() => scrape(T0, { sample: { t: T0, heapAlloc: Number.NaN } })).toThrow(/storing scrape of checkout: .*heapAlloc/);
  });
});

describe('Store scrape log', () => {
  it('returns the last scrape with its reason and failures', () => {
    scrape(T0);
    const failures = [{ source: 'expvar', error: 'HTTP 500' }];
    store.recordScrape('checkout', { at: T0 + 15000, ok: false, reason: 'all sources failed', durationMs: 30, failures });
    expect(store.lastScrape('checkout')).toEqual({ at: T0 + 15000, ok: false, reason: 'all sources failed', durationMs: 30, failures });
    expect(store.recentScrapes('checkout', 5).map((r) => r.ok)).toEqual([true, false]);
  });
});

describe('Store profiles', () => {
  const heap = readFileSync(join(FIXTURES, 'new.pb.gz'));
  const base = readFileSync(join(FIXTURES, 'base.pb.gz'));
  const gor = readFileSync(join(FIXTURES, 'goroutine.pb.gz'));

  it('stores bodies byte for byte with their metadata', () => {
    const tn = 1795686235079304286n;
    const { profileIds } = scrape(T0, {
      profiles: [
        { kind: 'heap', data: heap, timeNanos: tn, totals: [127404, 97527736, 128920, 104045608] },
        { kind: 'goroutine', data: gor },
      ],
    });
    expect(profileIds).toHaveLength(2);
    expect(store.profileData(profileIds[0])?.equals(heap)).toBe(true);
    expect(store.profileData(profileIds[1])?.equals(gor)).toBe(true);
    expect(store.profileData(999999)).toBeUndefined();
    expect(store.listProfiles('checkout', { kind: 'heap' })).toEqual([
      { id: profileIds[0], service: 'checkout', t: T0, kind: 'heap', size: heap.length, timeNanos: tn,
        totals: [127404, 97527736, 128920, 104045608] },
    ]);
    expect(store.profileMeta(profileIds[1])).toEqual({ id: profileIds[1], service: 'checkout', t: T0, kind: 'goroutine', size: gor.length });
  });

  it('finds the profile nearest a time in either direction and filters by time', () => {
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push(scrape(T0 + i * 60000, { profiles: [{ kind: 'heap', data: i % 2 ? heap : base }] }).profileIds[0]);
    scrape(T0 + 30000, { profiles: [{ kind: 'goroutine', data: gor }] });
    expect(store.profileNear('checkout', 'heap', T0 + 90000, 'before')?.id).toBe(ids[1]);
    expect(store.profileNear('checkout', 'heap', T0 + 90000, 'after')?.id).toBe(ids[2]);
    expect(store.profileNear('checkout', 'heap', T0 + 60000, 'before')?.id).toBe(ids[1]);
    expect(store.profileNear('checkout', 'heap', T0 - 1, 'before')).toBeUndefined();
    expect(store.profileNear('checkout', 'goroutine', T0, 'after')?.kind).toBe('goroutine');
    expect(store.listProfiles('checkout', { from: T0 + 30000, to: T0 + 120000 }).map((p) => p.kind)).toEqual([
      'goroutine', 'heap', 'heap',
    ]);
  });

  it('refuses to pin a profile that does not exist', () => {
    expect(() => store.pinProfile(424242, 'incident 1')).toThrow(/pinning profile 424242/);
  });
});

describe('Store.recordScrape atomicity', () => {
  it('stores nothing when a write fails mid-transaction', () => {
    scrape(T0, { sample: { t: T0, heapAlloc: 1 } }); // an earlier, good scrape
    expect(() =>
      store.recordScrape('checkout', {
        at: T0 + 1000, ok: true, durationMs: 1, sample: { t: T0 + 1000, heapAlloc: 2 },
        // The second profile violates the kind CHECK after the log row, sample and first profile are written.
        profiles: [{ kind: 'heap', data: heap() }, { kind: 'bogus' as ProfileKind, data: heap() }],
      }),
    ).toThrow(/storing scrape of checkout: .*CHECK constraint/);
    expect(store.samples('checkout').map((s) => s.heapAlloc)).toEqual([1]);
    expect(store.lastScrape('checkout')?.at).toBe(T0);
    expect(store.listProfiles('checkout')).toEqual([]);
  });

  it('does not leave a new service behind when its first scrape fails', () => {
    expect(() =>
      store.recordScrape('fresh', { at: T0, ok: true, durationMs: 1, profiles: [{ kind: 'bogus' as ProfileKind, data: heap() }] }),
    ).toThrow(/CHECK constraint/);
    expect(store.serviceNames()).toEqual([]);
    // The service id is not cached from the rolled-back transaction: a later scrape still works.
    store.recordScrape('fresh', { at: T0, ok: true, durationMs: 1, sample: { t: T0, goroutines: 1 } });
    expect(store.samples('fresh')).toEqual([{ t: T0, goroutines: 1 }]);
  });

  function heap(): Buffer {
    return Buffer.from([0x1f, 0x8b, 0x08, 0x00]);
  }
});

describe('Store across connections', () => {
  it('lets a second connection (CLI, dashboard) read what the daemon wrote', () => {
    scrape(T0, { sample: { t: T0, heapAlloc: 42 } });
    const reader = Store.open(join(dir, 'lw.db'));
    try {
      expect(reader.latestSample('checkout')).toEqual({ t: T0, heapAlloc: 42 });
    } finally {
      reader.close();
    }
  });
});
