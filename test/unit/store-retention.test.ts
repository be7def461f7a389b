import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { cutoffs } from '../../src/store/retention.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'leakwatch-retention-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fileBytes(path: string): number {
  let n = 0;
  for (const p of [path, `${path}-wal`]) if (existsSync(p)) n += statSync(p).size;
  return n;
}

describe('cutoffs', () => {
  it.each([
    { desc: 'subtracts each retention from now', r: { samples: 10, profiles: 20, scrapeLog: 30 }, want: { samples: 90, profiles: 80, scrapes: 70 } },
    { desc: 'zero or negative keeps everything', r: { samples: 0, profiles: -1, scrapeLog: 30 }, want: { samples: Number.MIN_SAFE_INTEGER, profiles: Number.MIN_SAFE_INTEGER, scrapes: 70 } },
    { desc: 'infinite keeps everything', r: { samples: Infinity, profiles: 20, scrapeLog: NaN }, want: { samples: Number.MIN_SAFE_INTEGER, profiles: 80, scrapes: Number.MIN_SAFE_INTEGER } },
  ])('$desc', ({ r, want }) => {
    expect(cutoffs(r, 100)).toEqual(want);
  });
});

describe('Store.prune', () => {
  it('deletes rows older than their retention and keeps pinned profiles', () => {
    const store = Store.open(':memory:');
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const at = T0 + i * MIN;
      ids.push(store.recordScrape('svc', { at, ok: true, durationMs: 1, sample: { t: at, heapAlloc: i }, profiles: [{ kind: 'heap', data: Buffer.from([i]) }] }).profileIds[0]);
    }
    store.pinProfile(ids[0], 'incident 1');
    store.pinProfile(ids[0], 'incident 2');
    const now = T0 + 5 * MIN;
    expect(store.prune({ samples: 2.5 * MIN, profiles: 1.5 * MIN, scrapeLog: 10 * MIN }, now)).toEqual({ samples: 3, profiles: 3, scrapes: 0 });
    expect(store.samples('svc').map((s) => s.heapAlloc)).toEqual([3, 4, 5]);
    expect(store.listProfiles('svc').map((p) => p.id)).toEqual([ids[0], ids[4], ids[5]]);
    expect(store.profileData(ids[0])).toEqual(Buffer.from([0]));

    // Dropping one pin is not enough; dropping the last one lets retention take it.
    store.unpinProfile(ids[0], 'incident 1');
    expect(store.prune({ samples: 2.5 * MIN, profiles: 1.5 * MIN, scrapeLog: 10 * MIN }, now).profiles).toBe(0);
    store.unpinProfile(ids[0]);
    expect(store.prune({ samples: 2.5 * MIN, profiles: 1.5 * MIN, scrapeLog: 10 * MIN }, now).profiles).toBe(1);
    expect(store.recentScrapes('svc', 100)).toHaveLength(6);
    store.close();
  });

  it('keeps row counts and the file size flat over repeated insert/prune cycles', () => {
    const path = join(dir, 'lw.db');
    const store = Store.open(path);
    const retention = { samples: 10 * MIN, profiles: 10 * MIN, scrapeLog: 10 * MIN };
    const pinned: number[] = [];
    const sizes: number[] = [];
    const counts: number[][] = [];
    let now = T0;
    for (let cycle = 0; cycle < 30; cycle++) {
      // Five minutes of a daemon: a scrape every 15 s, a 48 KB heap profile every minute.
      for (let i = 0; i < 20; i++) {
        now += 15_000;
        const profiles = i % 4 === 0 ? [{ kind: 'heap' as const, data: randomBytes(48 * 1024) }] : [];
        const r = store.recordScrape('svc', { at: now, ok: true, durationMs: 3, sample: { t: now, heapAlloc: now, sys: 2 * now, goroutines: i }, profiles });
        if (cycle % 10 === 0 && i === 0) {
          store.pinProfile(r.profileIds[0], `incident ${cycle}`);
          pinned.push(r.profileIds[0]);
        }
      }
      store.prune(retention, now);
      sizes.push(fileBytes(path));
      counts.push([store.sampleCount('svc'), store.listProfiles('svc').length, store.recentScrapes('svc', 1e6).length]);
    }
    console.log(`file bytes per cycle: ${sizes.join(' ')}`);

    // Ten minutes of data survive (41 samples: both ends inclusive; 10 unpinned profiles), plus the 3 pinned profiles.
    expect(counts[29]).toEqual([41, 13, 41]);
    expect(counts.slice(3).every(([s, , sc]) => s === 41 && sc === 41)).toBe(true);
    const kept = store.listProfiles('svc').map((p) => p.id);
    for (const id of pinned) expect(kept).toContain(id);
    expect(pinned.map((id) => store.profileData(id)?.length)).toEqual([49152, 49152, 49152]);

    // Steady state: after warm-up the file never exceeds its early size by more than the pinned
    // profiles added since (3 x 48 KB) plus a little page slack.
    const early = Math.max(...sizes.slice(3, 6));
    const late = Math.max(...sizes.slice(6));
    expect(late).toBeLessThanOrEqual(early + 2 * 49152 + 64 * 1024);
    // And without pruning the same data would have been several times larger.
    expect(late).toBeLessThan(30 * 5 * 49152 / 3);
    store.close();
  });
});
