import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/db.js';
import { IncidentAlreadyOpenError, IncidentStore } from '../../src/store/incidents.js';
import type { Trend } from '../../src/model/trend.js';

const trend = (over: Partial<Trend> = {}): Trend => ({
  slopePerHour: 12e6, lowerPerHour: 9e6, upperPerHour: 15e6, confidence: 0.999, current: 400e6, n: 72,
  timeToLimitHours: 5, limit: 2 ** 31, ...over,
});

let db: Database;
let store: IncidentStore;
beforeEach(() => {
  db = openDatabase(':memory:');
  store = new IncidentStore(db);
});
afterEach(() => db.close());

function addProfile(service: string): number {
  db.prepare('INSERT INTO services (name) VALUES (?) ON CONFLICT (name) DO NOTHING').run(service);
  const sid = db.prepare('SELECT id FROM services WHERE name = ?').pluck().get(service);
  return Number(db.prepare(`INSERT INTO profiles (service_id, t, kind, data, size) VALUES (?, 1, 'heap', x'00', 1)`).run(sid).lastInsertRowid);
}

describe('IncidentStore', () => {
  it('opens an incident with the conservative slope, and reads it back', () => {
    const inc = store.open('checkout', 'heap', trend(), 1000, 'a note');
    expect(inc).toMatchObject({
      service: 'checkout', metric: 'heap', openedAt: 1000, resolvedAt: null, slopePerHour: 9e6, confidence: 0.999,
      current: 400e6, limit: 2 ** 31, timeToLimitHours: 5, topGrowth: [], topGoroutines: [], note: 'a note', lastAlertAt: null,
    });
    expect(store.get(inc.id)).toEqual(inc);
  });

  it('allows one open incident per (service, metric), even across store instances', () => {
    const first = store.open('checkout', 'heap', trend(), 1000);
    store.open('checkout', 'rss', trend(), 1000);
    store.open('billing', 'heap', trend(), 1000);
    const again = new IncidentStore(db);
    expect(() => again.open('checkout', 'heap', trend(), 2000)).toThrow(IncidentAlreadyOpenError);
    expect(() => again.open('checkout', 'heap', trend(), 2000)).toThrow(new RegExp(`open heap incident \\(#${first.id}\\)`));
    store.resolve(first.id, 3000, 'growth-stopped');
    const reopened = store.open('checkout', 'heap', trend(), 4000);
    expect(reopened.id).not.toBe(first.id);
  });

  it('updates open incidents only, resolves once, and records alerts', () => {
    const inc = store.open('checkout', 'goroutines', trend({ lowerPerHour: 100, current: 1000, limit: undefined, timeToLimitHours: null }), 1000);
    store.update(inc.id, trend({ lowerPerHour: 150, current: 1200, limit: undefined, timeToLimitHours: null }), 2000);
    store.markAlerted(inc.id, 2500);
    expect(store.get(inc.id)).toMatchObject({ slopePerHour: 150, current: 1200, lastAlertAt: 2500, timeToLimitHours: null });
    expect(store.get(inc.id)?.limit).toBeUndefined();
    store.resolve(inc.id, 3000, 'restart');
    store.resolve(inc.id, 4000, 'growth-stopped');
    store.update(inc.id, trend({ lowerPerHour: 999 }), 5000);
    expect(store.get(inc.id)).toMatchObject({ resolvedAt: 3000, resolveReason: 'restart', slopePerHour: 150 });
  });

  it('stores infinite bounds as no value instead of failing', () => {
    const inc = store.open('x', 'sys', trend({ lowerPerHour: -Infinity, timeToLimitHours: null }), 1);
    expect(inc.slopePerHour).toBe(0);
  });

  it('attaches attribution and pins its profiles for retention', () => {
    const base = addProfile('checkout');
    const cur = addProfile('checkout');
    const inc = store.open('checkout', 'heap', trend(), 1000);
    const topGrowth = [{ function: 'main.(*sessionStore).remember', deltaBytes: 5e6, deltaObjects: 10, cumBytes: 5e6, share: 0.9 }];
    const topGoroutines = [{ function: 'main.subscribe', delta: 40, count: 50, stack: ['runtime.gopark', 'main.subscribe'] }];
    store.attach(inc.id, { topGrowth, topGoroutines, baselineProfileId: base, currentProfileId: cur });
    expect(store.get(inc.id)).toMatchObject({ topGrowth, topGoroutines, baselineProfileId: base, currentProfileId: cur });
    const pins = db.prepare('SELECT profile_id, reason FROM profile_pins ORDER BY profile_id').all();
    expect(pins).toEqual([
      { profile_id: base, reason: `incident:${inc.id}` },
      { profile_id: cur, reason: `incident:${inc.id}` },
    ]);
    store.attach(inc.id, { topGrowth, topGoroutines, baselineProfileId: base });
    expect(db.prepare('SELECT count(*) FROM profile_pins').pluck().get()).toBe(2);
  });

  it('lists open incidents per service and all incidents newest first', () => {
    const a = store.open('checkout', 'heap', trend(), 1000);
    const b = store.open('billing', 'rss', trend(), 2000);
    const c = store.open('checkout', 'goroutines', trend(), 3000);
    store.resolve(a.id, 4000, 'growth-stopped');
    expect(store.listOpen().map((i) => i.id)).toEqual([b.id, c.id]);
    expect(store.listOpen('checkout').map((i) => i.id)).toEqual([c.id]);
    expect(store.list().map((i) => i.id)).toEqual([c.id, b.id, a.id]);
    expect(store.list({ service: 'checkout', limit: 1 }).map((i) => i.id)).toEqual([c.id]);
    expect(store.get(9999)).toBeUndefined();
  });
});
