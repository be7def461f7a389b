/** Scheduling health in the scrape log: what `status` shows as scrapeLagSeconds and scrapesSkipped, and sample scrapes apart from profile captures. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { renderStatus } from '../../src/cli/commands/status.js';
import { serviceStatus, type ServiceStatus } from '../../src/views/status.js';
import { IncidentEvents } from '../../src/store/incident-events.js';
import { parseConfig } from '../../src/config/load.js';

const T0 = Date.UTC(2026, 11, 5, 8, 0, 0);
let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'leakwatch-schedule-'));
  store = Store.open(join(dir, 'lw.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('scrape schedule in the store', () => {
  it('is empty for a service never scraped', () => {
    expect(store.scrapeSchedule('nobody')).toEqual({ lagMs: null, skipped: 0 });
  });

  it('keeps the lag of the newest sample scrape (not of a profile capture) and sums the skipped ticks', () => {
    store.recordScrape('svc', { at: T0, ok: true, durationMs: 5, lagMs: 12, skipped: 0 });
    store.recordScrape('svc', { at: T0 + 1000, ok: true, durationMs: 5, lagMs: 2400, skipped: 2 });
    store.recordScrape('svc', { kind: 'profiles', at: T0 + 1500, ok: false, reason: 'pprof: heap profile: gzip bomb', durationMs: 30 });
    store.recordScrape('svc', { at: T0 + 4000, ok: true, durationMs: 5, lagMs: 40, skipped: 1 });
    expect(store.scrapeSchedule('svc')).toEqual({ lagMs: 40, skipped: 3 });
    const rows = store.recentScrapes('svc', 10);
    expect(rows.map((r) => [r.lagMs, r.skipped])).toEqual([[12, undefined], [2400, 2], [undefined, undefined], [40, 1]]);
    // Pruning the log prunes its skipped ticks with it.
    store.prune({ samples: 1, profiles: 1, scrapeLog: 1 }, T0 + 3000);
    expect(store.scrapeSchedule('svc')).toEqual({ lagMs: 40, skipped: 1 });
  });

  it('status says how many scheduled scrapes were skipped', () => {
    const s: ServiceStatus = {
      name: 'checkout', state: 'ok', lastScrapeAt: null, lastScrapeOk: null, lastProfilesAt: null, samples: 0,
      scrapeLagSeconds: 2.4, scrapesSkipped: 3, latest: {}, trends: {}, openIncidents: 0,
    };
    expect(renderStatus([s])).toContain('checkout: 3 scheduled scrapes skipped (previous scrape still running, or leakwatch too busy); last lag 2.4 s');
    expect(renderStatus([{ ...s, scrapesSkipped: 0 }])).not.toContain('skipped');
  });

  it('status judges reachability from sample scrapes alone: a failed profile capture after them is shown apart, the service stays ok', () => {
    const svc = parseConfig('services:\n  - name: svc\n    metrics: http://127.0.0.1:1/metrics\n    pprof: http://127.0.0.1:1/debug/pprof\n', { path: join(dir, 'c.yaml'), env: {} }).services[0]!;
    const incidents = new IncidentEvents(store.db).incidents;
    const sample = { t: T0, heapAlloc: 1e6, sys: 8e6, goroutines: 10 };
    store.recordScrape('svc', { at: T0, ok: true, durationMs: 5, lagMs: 3, sample });
    store.recordScrape('svc', { kind: 'profiles', at: T0 + 500, ok: false, reason: 'heap profile: HTTP 403 Forbidden', durationMs: 9 });
    const s = serviceStatus(store, incidents, svc, T0 + 600);
    expect(s.state).not.toBe('unreachable');
    expect([s.lastScrapeAt, s.lastScrapeOk, s.lastScrapeError]).toEqual([new Date(T0).toISOString(), true, undefined]);
    expect([s.lastProfilesAt, s.lastProfilesError]).toEqual([new Date(T0 + 500).toISOString(), 'heap profile: HTTP 403 Forbidden']);
    expect(renderStatus([s])).toContain('svc: last profile capture failed: heap profile: HTTP 403 Forbidden');
    // A failed sample scrape is what makes it unreachable.
    store.recordScrape('svc', { at: T0 + 1000, ok: false, reason: 'metrics: connection refused', durationMs: 1 });
    expect(serviceStatus(store, incidents, svc, T0 + 1100).state).toBe('unreachable');
  });
});
