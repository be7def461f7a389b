import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { IncidentStore } from '../../src/store/incidents.js';
import { DiscoveredStore } from '../../src/store/discovered.js';

describe('schema 6 (fleets)', () => {
  const all = loadMigrations();

  it('keeps existing incidents through the rebuild, and lets one resolve as gone (and nothing else new)', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, all.filter((m) => m.version < 6));
    db.exec("INSERT INTO services (id, name) VALUES (1, 'api/h:1')");
    db.exec(`INSERT INTO incidents (service_id, metric, opened_at, updated_at, slope_per_hour, fitted_slope_per_hour, confidence, current, open_slope_per_hour, note)
             VALUES (1, 'heap', 1000, 2000, 5e6, 6e6, 0.99, 1e8, 4e6, 'kept')`);
    migrate(db, all);
    const incidents = new IncidentStore(db);
    const before = incidents.get(1)!;
    expect([before.service, before.metric, before.slopePerHour, before.note, before.resolvedAt]).toEqual(['api/h:1', 'heap', 5e6, 'kept', null]);
    incidents.resolve(1, 3000, 'gone');
    expect(incidents.get(1)!.resolveReason).toBe('gone');
    expect(() => db.exec("UPDATE incidents SET resolve_reason = 'bogus'")).toThrow(/CHECK/);
    // One open incident per service and metric still holds after the rebuild.
    db.exec(`INSERT INTO incidents (service_id, metric, opened_at, updated_at, slope_per_hour, fitted_slope_per_hour, confidence, current)
             VALUES (1, 'rss', 1, 1, 1, 1, 1, 1)`);
    expect(() => db.exec(`INSERT INTO incidents (service_id, metric, opened_at, updated_at, slope_per_hour, fitted_slope_per_hour, confidence, current)
             VALUES (1, 'rss', 1, 1, 1, 1, 1, 1)`)).toThrow(/UNIQUE/);
  });

  it('records a discovered service\'s labels and source, and when it left; coming back clears that', () => {
    const db = new Database(':memory:');
    migrate(db, all);
    const d = new DiscoveredStore(db);
    d.seen('api/h:1', { job: 'api', instance: 'h:1' }, 'file:/t.json');
    d.gone('api/h:1', 5000);
    expect(d.list()).toEqual([{ name: 'api/h:1', labels: { job: 'api', instance: 'h:1' }, source: 'file:/t.json', goneAt: 5000 }]);
    d.seen('api/h:1', { job: 'api', instance: 'h:1', env: 'prod' }, 'file:/t.json');
    expect(d.list()[0]!.goneAt).toBeNull();
    expect(d.list()[0]!.labels.env).toBe('prod');
  });
});
