import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';

/**
 * The migrations folder ships next to src/ and dist/ (package.json "files"): the nearest
 * `migrations/` up from this module, found from src/store under vitest, dist/store when built and
 * the benches' own build (.bench/src/store).
 */
export const MIGRATIONS_DIR = findMigrations(dirname(fileURLToPath(import.meta.url)));

function findMigrations(from: string): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'migrations', '0001_init.sql'))) return join(dir, 'migrations');
  }
  return resolve(from, '../../migrations');
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_NAME = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/** Reads `NNNN_name.sql` files in numeric order; other files are ignored, duplicate numbers are an error. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (err) {
    throw new Error(`migrating database: cannot read migrations folder ${dir}: ${(err as Error).message}`);
  }
  const out: Migration[] = [];
  for (const file of files) {
    const m = FILE_NAME.exec(file);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2], sql: readFileSync(join(dir, file), 'utf8') });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i].version === out[i - 1].version) {
      throw new Error(
        `migrating database: two migrations numbered ${out[i].version} (${out[i - 1].name}, ${out[i].name}) in ${dir}`,
      );
    }
  }
  return out;
}

export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: number;
}

/**
 * Brings the schema up to date: each pending migration runs in its own transaction together
 * with its row in schema_migrations, so a failing migration leaves no trace and is retried on
 * the next start. Returns the versions applied now.
 */
export function migrate(db: Database, migrations: Migration[] = loadMigrations(), now: () => number = Date.now): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const applied = appliedMigrations(db);
  const known = new Set(migrations.map((m) => m.version));
  const unknown = applied.filter((a) => !known.has(a.version));
  if (unknown.length > 0) {
    const newest = Math.max(...migrations.map((m) => m.version), 0);
    throw new Error(
      `migrating database: the database has schema version(s) ${unknown.map((a) => `${a.version} (${a.name})`).join(', ')} ` +
        `that this leakwatch does not know (it knows up to ${newest}); it was written by a newer leakwatch: upgrade, or use another database file`,
    );
  }
  const done = new Set(applied.map((a) => a.version));
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const ran: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        record.run(m.version, m.name, now());
      })();
    } catch (err) {
      throw new Error(`migrating database: migration ${m.version}_${m.name} failed: ${(err as Error).message}`);
    }
    ran.push(m.version);
  }
  return ran;
}

export function appliedMigrations(db: Database): AppliedMigration[] {
  const rows = db
    .prepare('SELECT version, name, applied_at AS appliedAt FROM schema_migrations ORDER BY version')
    .all() as AppliedMigration[];
  return rows;
}
