/**
 * ServiceWatch's executor, in-process on a `:memory:` store: each planned action lands in the
 * incident store and the outbox as the planner meant, and the outbox is woken where the plan says.
 */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { IncidentEvents, type AlertRows } from '../../src/store/incident-events.js';
import { createLogger } from '../../src/log/log.js';
import { runActions, type ActionDeps } from '../../src/daemon/watch-actions.js';
import { ServiceWatch } from '../../src/daemon/watch.js';
import { parseConfig } from '../../src/config/load.js';
import type { Trend } from '../../src/model/trend.js';
import type { Attribution } from '../../src/store/incidents.js';
import type { ProfileKind } from '../../src/model/sample.js';

const trend = (over: Partial<Trend> = {}): Trend => ({
  slopePerHour: 12e6, lowerPerHour: 9e6, upperPerHour: 15e6, confidence: 0.999, current: 400e6, n: 72, timeToLimitHours: null, ...over,
});
const alertRows: AlertRows = { channels: ['ops'], render: (kind, inc, seq) => JSON.stringify({ kind, seq, id: inc.id, top: inc.topGrowth.map((g) => g.function) }) };

let store: Store;
let events: IncidentEvents;
let lines: string[];
let journal: string[];
let deps: ActionDeps;

beforeEach(() => {
  store = Store.open(':memory:');
  events = new IncidentEvents(store.db);
  lines = [];
  journal = [];
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  deps = {
    service: 'checkout', events, alertRows, now: () => 5_000,
    alerts: { wake: () => journal.push('wake') },
    log: createLogger({ level: 'debug', format: 'text', stream, journal: false, now: () => 0 }),
    attribute: async () => undefined,
    capture: async () => new Map(),
    pinProfile: (id, why) => store.pinProfile(id, why),
    lastGaspTaken: (key) => journal.push(`taken ${key}`),
  };
});
afterEach(() => store.close());

/** Stores a heap profile of checkout the way a capture does; returns its id. */
function storedProfile(at: number, kind: ProfileKind = 'heap'): number {
  return store.recordScrape('checkout', { at, ok: true, durationMs: 1, profiles: [{ kind, data: Buffer.from([1, 2, 3]), timeNanos: BigInt(at) * 1_000_000n }] }).profileIds[0]!;
}
const pins = (id: number) => store.db.prepare('SELECT reason FROM profile_pins WHERE profile_id = ?').pluck().all(id);
const rows = (id: number) => events.outbox.forIncident(id).map((r) => [r.eventKind, r.status, r.nextAttemptAt]);

describe('runActions', () => {
  it('open: incident written with its alert held, attribution stored, the alert released, then the wake', async () => {
    const base = storedProfile(1_000);
    const current = storedProfile(4_000);
    const found: Attribution = { topGrowth: [{ function: 'main.leak', deltaBytes: 1e6, deltaObjects: 10, share: 1 }], topGoroutines: [], baselineProfileId: base, currentProfileId: current };
    deps.attribute = async (metric) => {
      journal.push(`attribute ${metric}`);
      return found;
    };
    await runActions([{ type: 'open', metric: 'heap', trend: trend(), note: 'n', holdUntil: 31_000, attribute: true }, { type: 'alert' }], 1_000, deps);
    const [inc] = store.db.prepare('SELECT id FROM incidents').pluck().all() as number[];
    expect(events.incidents.get(inc)).toMatchObject({ service: 'checkout', metric: 'heap', note: 'n', baselineProfileId: base, currentProfileId: current, resolvedAt: null });
    expect(rows(inc)).toEqual([['open', 'pending', 5_000]]); // released at now(), not at holdUntil
    expect(JSON.parse(events.outbox.forIncident(inc)[0].payload).top).toEqual(['main.leak']);
    expect(journal).toEqual(['attribute heap', 'wake']);
    expect(lines.map((l) => /msg="([^"]+)"/.exec(l)![1])).toEqual(['incident opened', 'incident attributed']);
  });

  it('open: a failed attribution is logged and the open alert still goes out', async () => {
    deps.attribute = async () => {
      throw new Error('target went away');
    };
    await runActions([{ type: 'open', metric: 'heap', trend: trend(), holdUntil: 31_000, attribute: true }], 1_000, deps);
    const [inc] = store.db.prepare('SELECT id FROM incidents').pluck().all() as number[];
    expect(rows(inc)).toEqual([['open', 'pending', 5_000]]);
    expect(lines.some((l) => l.includes('msg="attribution failed"') && l.includes('target went away'))).toBe(true);
  });

  it('update, remind, reopen and resolve each write what they name; only the planned alerts wake the outbox', async () => {
    const inc = events.open('checkout', 'heap', trend(), 1_000, undefined, alertRows);
    await runActions([{ type: 'update', incidentId: inc.id, trend: trend({ current: 500e6 }) }], 2_000, deps);
    expect(events.incidents.get(inc.id)!.current).toBe(500e6);
    expect(journal).toEqual([]);
    await runActions([{ type: 'remind', incidentId: inc.id, trend: trend() }, { type: 'alert' }], 3_000, deps);
    await runActions([{ type: 'resolve', incidentId: inc.id, reason: 'growth-stopped' }, { type: 'alert' }], 4_000, deps);
    expect(events.incidents.get(inc.id)).toMatchObject({ resolvedAt: 4_000, resolveReason: 'growth-stopped' });
    await runActions([{ type: 'reopen', incidentId: inc.id, trend: trend() }, { type: 'alert' }], 4_500, deps);
    expect(events.incidents.get(inc.id)!.resolvedAt).toBeNull();
    expect(events.outbox.forIncident(inc.id).map((r) => r.eventKind)).toEqual(['open', 'remind', 'resolve', 'remind']);
    expect(journal).toEqual(['wake', 'wake', 'wake']);
  });

  it('capture: marks the capture taken first, pins what it got, and logs it; a failed capture pins nothing', async () => {
    const heap = storedProfile(1_000, 'heap');
    const goroutine = storedProfile(1_000, 'goroutine');
    deps.capture = async (kinds) => {
      journal.push(`capture ${kinds.join('+')}`);
      return new Map([['heap', { id: heap }], ['goroutine', { id: goroutine }]]);
    };
    await runActions([{ type: 'capture', why: 'last-gasp', metric: 'rss', key: '0:rss', timeToLimitMinutes: 12 }], 2_000, deps);
    expect(journal).toEqual(['taken 0:rss', 'capture heap+goroutine']);
    expect([pins(heap), pins(goroutine)]).toEqual([['last-gasp'], ['last-gasp']]);
    expect(lines.at(-1)).toContain(`msg="last-gasp profiles captured" service=checkout metric=rss timeToLimitMinutes=12 profiles=${heap},${goroutine}`);

    deps.capture = async () => {
      throw new Error('refused');
    };
    await runActions([{ type: 'capture', why: 'last-gasp', metric: 'heap', key: '0:heap', timeToLimitMinutes: 3 }], 3_000, deps);
    expect(lines.at(-1)).toContain('metric=heap timeToLimitMinutes=3 profiles=""');
  });
});

describe('ServiceWatch on a :memory: store', () => {
  const config = parseConfig(
    'database: ":memory:"\nchannels:\n  ops: { type: slack, webhookUrl: "http://127.0.0.1:9/hook" }\nservices:\n  - name: checkout\n    metrics: http://127.0.0.1:9/metrics\n    alert: [ops]\n',
    { path: '/tmp/leakwatch.yaml' },
  );
  const svc = config.services[0];
  const watchDeps = () => ({ store, incidents: events.incidents, events, alerts: { wake: () => journal.push('wake') }, log: deps.log, host: 'test-host' });

  it('does no I/O in its constructor: the store is read in start()', () => {
    store.close();
    const watch = new ServiceWatch(svc, watchDeps());
    expect(watch.state).toBe('warming');
    expect(() => watch.start()).toThrow(/not open/);
  });

  it('start() reads the recent past into the detector', () => {
    const now = Date.now();
    for (let i = 10; i > 0; i--) store.recordScrape('checkout', { at: now - i * 15_000, ok: true, durationMs: 1, sample: { t: now - i * 15_000, heapInuse: 1e6, heapAlloc: 1e6, sys: 2e6, goroutines: 10 } });
    const watch = new ServiceWatch(svc, watchDeps());
    expect(watch.lastSampleAt()).toBeUndefined();
    watch.start();
    expect(watch.lastSampleAt()).toBe(now - 15_000);
  });

  it('resolveAll closes every open incident of the service as gone, queues the resolves and wakes the outbox once', async () => {
    const a = events.open('checkout', 'heap', trend(), 1_000, undefined, alertRows);
    const b = events.open('checkout', 'goroutines', trend(), 1_000, undefined, alertRows);
    const other = events.open('billing', 'heap', trend(), 1_000, undefined, alertRows);
    const watch = new ServiceWatch(svc, watchDeps());
    expect(await watch.resolveAll('gone', 9_000)).toBe(2);
    expect([a, b].map((i) => events.incidents.get(i.id))).toMatchObject([{ resolvedAt: 9_000, resolveReason: 'gone' }, { resolvedAt: 9_000, resolveReason: 'gone' }]);
    expect(events.incidents.get(other.id)!.resolvedAt).toBeNull();
    expect(events.outbox.forIncident(a.id).map((r) => r.eventKind)).toEqual(['open', 'resolve']);
    expect(journal).toEqual(['wake']);
  });
});
