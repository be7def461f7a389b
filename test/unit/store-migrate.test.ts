import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { appliedMigrations, loadMigrations, MIGRATIONS_DIR } from '../../src/store/migrate.js';
import { SAMPLE_FIELDS } from '../../src/model/sample.js';
import { SAMPLE_COLUMNS } from '../../src/store/samples.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'leakwatch-migrate-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function migrationsDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(dir, 'm-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(d, name), sql);
  return d;
}

describe('migrations', () => {
  it('applies the shipped migrations once, in order, and records them', () => {
    const shipped = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
    expect(shipped[0]).toBe('0001_init.sql');
    const path = join(dir, 'a.db');
    const db = openDatabase(path);
    const applied = appliedMigrations(db);
    expect(applied.map((a) => a.version)).toEqual(loadMigrations().map((m) => m.version));
    expect(applied[0]).toMatchObject({ version: 1, name: 'init' });
    db.close();

    // Reopening applies nothing new and keeps the original timestamps.
    const again = openDatabase(path);
    expect(appliedMigrations(again)).toEqual(applied);
    again.close();
  });

  it('sets WAL, foreign keys, busy timeout and incremental auto-vacuum', () => {
    const db = openDatabase(join(dir, 'p.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2); // 2 = INCREMENTAL
    db.close();
  });

  it('has one samples column per Sample field', () => {
    const db = openDatabase(':memory:');
    const cols = (db.pragma('table_info(samples)') as { name: string }[]).map((c) => c.name);
    for (const f of SAMPLE_FIELDS) expect(cols, f).toContain(SAMPLE_COLUMNS[f]);
    expect(cols).toContain('restart');
    db.close();
  });

  it('applies only the new migration when one is added later', () => {
    const path = join(dir, 'b.db');
    const one = { '0001_a.sql': 'CREATE TABLE a (x INTEGER);' };
    openDatabase(path, { migrationsDir: migrationsDir(one) }).close();
    const db = openDatabase(path, {
      migrationsDir: migrationsDir({ ...one, '0002_b.sql': 'CREATE TABLE b (y INTEGER);', 'README.md': 'ignored' }),
    });
    expect(appliedMigrations(db).map((a) => [a.version, a.name])).toEqual([[1, 'a'], [2, 'b']]);
    db.close();
  });

  it('orders by number, not by file name', () => {
    const d = migrationsDir({ '10_late.sql': 'SELECT 1;', '9_early.sql': 'SELECT 1;', '0002_mid.sql': 'SELECT 1;' });
    expect(loadMigrations(d).map((m) => m.version)).toEqual([2, 9, 10]);
  });

  it('refuses a database written by a newer leakwatch', () => {
    const path = join(dir, 'c.db');
    const one = { '0001_a.sql': 'CREATE TABLE a (x INTEGER);' };
    openDatabase(path, { migrationsDir: migrationsDir({ ...one, '0002_b.sql': 'CREATE TABLE b (y INTEGER);' }) }).close();
    expect(() => openDatabase(path, { migrationsDir: migrationsDir(one) })).toThrow(
      /schema version\(s\) 2 \(b\).*newer leakwatch/,
    );
  });

  it('rolls a failing migration back entirely and names it', () => {
    const path = join(dir, 'd.db');
    const d = migrationsDir({
      '0001_a.sql': 'CREATE TABLE a (x INTEGER);',
      '0002_bad.sql': 'CREATE TABLE half (y INTEGER); INSERT INTO nowhere VALUES (1);',
    });
    expect(() => openDatabase(path, { migrationsDir: d })).toThrow(/migration 2_bad failed: .*nowhere/);
    const db = openDatabase(path, { migrationsDir: migrationsDir({ '0001_a.sql': 'CREATE TABLE a (x INTEGER);' }) });
    expect(appliedMigrations(db).map((a) => a.version)).toEqual([1]);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).not.toContain('half');
    db.close();
  });

  it('rejects two migrations with the same number', () => {
    const d = migrationsDir({ '0001_a.sql': 'SELECT 1;', '1_b.sql': 'SELECT 1;' });
    expect(() => loadMigrations(d)).toThrow(/two migrations numbered 1/);
  });

  it('with mustExist, refuses to create a missing database', () => {
    const path = join(dir, 'missing.db');
    expect(() => openDatabase(path, { mustExist: true })).toThrow(/opening database .*missing.db: no such file/);
    openDatabase(path).close();
    openDatabase(path, { mustExist: true }).close();
  });

  it('works in memory', () => {
    const db = openDatabase(':memory:');
    expect(appliedMigrations(db).length).toBeGreaterThanOrEqual(1);
    db.close();
  });
});
