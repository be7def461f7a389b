import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { loadMigrations, migrate, MIGRATIONS_DIR } from './migrate.js';

export type { Database };

export interface OpenOptions {
  /** Folder of NNNN_name.sql files; tests point it elsewhere. */
  migrationsDir?: string;
  /** How long a writer waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** For read-side commands: fail instead of creating an empty database. */
  mustExist?: boolean;
}

/**
 * Opens (creating if needed) the leakwatch database and brings its schema up to date.
 * ':memory:' works, for tests.
 */
export function openDatabase(path: string, opts: OpenOptions = {}): Database {
  if (opts.mustExist && path !== ':memory:' && !existsSync(path)) {
    throw new Error(`opening database ${path}: no such file (has \`leakwatch run\` stored anything yet? check \`database\` in the config)`);
  }
  let db: Database;
  try {
    db = new BetterSqlite3(path);
  } catch (err) {
    throw new Error(`opening database ${path}: ${(err as Error).message}`);
  }
  try {
    // auto_vacuum only takes effect before the first table exists; INCREMENTAL lets retention
    // hand freed pages back to the file system so a long-running daemon's file stops growing.
    db.pragma('auto_vacuum = INCREMENTAL');
    // WAL: the dashboard and CLI read while the daemon writes.
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; losing the last scrape on power loss is fine.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
    // Keeps the -wal file from staying at its high-water mark after a big checkpoint.
    db.pragma('journal_size_limit = 16777216');
    // better-sqlite3 builds SQLite with a 16 MB page cache; writes append and reads are of recent
    // rows, so 2 MB (SQLite's own default) serves as well and keeps the daemon's memory flat.
    db.pragma('cache_size = -2000');
    migrate(db, loadMigrations(opts.migrationsDir ?? MIGRATIONS_DIR));
  } catch (err) {
    db.close();
    const msg = (err as Error).message;
    throw new Error(msg.startsWith('migrating database') ? msg : `opening database ${path}: ${msg}`);
  }
  return db;
}
