/**
 * Issue 5, acceptance 2: with short retention the daemon's stored rows and profiles stop growing,
 * while the profiles an incident references (its evidence) stay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, sleep, startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';
import { startReplayTarget, type ReplayTarget } from '../../src/demo/target.js';
import { Store } from '../../src/store/index.js';

const recording = join(dirname(fileURLToPath(import.meta.url)), '../../config/demo/recording.jsonl.gz');

describe('retention in the running daemon', () => {
  let target: ReplayTarget;
  let daemon: RunningDaemon;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    target = await startReplayTarget(recording);
    dir = tempDir();
    config = writeConfig(
      dir,
      `database: ${join(dir, 'lw.db')}
retention: { samples: 6s, profiles: 6s, scrapeLog: 6s, pruneSchedule: "* * * * * *" }
defaults:
  schedule: "* * * * * *"
  profileSchedule: "* * * * * *"
  window: 40s
  warmup: 5s
  thresholds: { heapGrowth: 100MB/h }
services:
  - name: checkout
    pprof: ${target.base}/debug/pprof
    metrics: ${target.base}/metrics
`,
    );
    daemon = startDaemon(config);
    await daemon.waitForLog(/incident opened/, 60_000);
  }, 90_000);

  afterAll(async () => {
    await daemon?.stop();
    await target?.close();
  });

  it('keeps counts bounded over time and the incident evidence intact', async () => {
    const counts = () => {
      const store = Store.open(join(dir, 'lw.db'));
      try {
        return {
          samples: store.sampleCount('checkout'),
          profiles: store.listProfiles('checkout').length,
          scrapes: store.recentScrapes('checkout', 10_000).length,
        };
      } finally {
        store.close();
      }
    };
    const series: ReturnType<typeof counts>[] = [];
    for (let i = 0; i < 5; i++) {
      series.push(counts());
      await sleep(2_000);
    }
    for (const c of series) {
      // 6 s of one-second scrapes, plus a second of pruning lag: never the whole run.
      expect(c.samples).toBeLessThanOrEqual(9);
      expect(c.scrapes).toBeLessThanOrEqual(2 * 9);
    }
    const { incidents } = JSON.parse(cli(['incidents', '--json', '--config', config]).stdout) as {
      incidents: { baselineProfileId: number; currentProfileId: number; openedAt: string }[];
    };
    const inc = incidents[0]!;
    expect(Date.now() - Date.parse(inc.openedAt)).toBeGreaterThan(8_000);
    const store = Store.open(join(dir, 'lw.db'));
    try {
      expect(store.profileData(inc.baselineProfileId)?.length).toBeGreaterThan(0);
      expect(store.profileData(inc.currentProfileId)?.length).toBeGreaterThan(0);
      const kept = store.listProfiles('checkout').map((p) => p.id);
      expect(kept).toEqual(expect.arrayContaining([inc.baselineProfileId, inc.currentProfileId]));
      // Apart from the evidence (heap and goroutine captures of the incident), only recent profiles remain.
      expect(kept.length).toBeLessThanOrEqual(4 + 2 * 8);
    } finally {
      store.close();
    }
  }, 60_000);
});
