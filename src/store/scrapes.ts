import type { Database, Statement } from 'better-sqlite3';

/** One scrape attempt as the log keeps it. */
export interface ScrapeRecord {
  /** Unix ms, when the scrape started. */
  at: number;
  ok: boolean;
  reason?: string;
  durationMs: number;
  /** Per-source failures as the collector reported them (JSON-serialisable). */
  failures?: unknown[];
}

interface ScrapeRow {
  t: number;
  ok: number;
  reason: string | null;
  duration_ms: number;
  failures: string | null;
}

/** The scrapes table (the scrape log). Every statement is prepared once, here. */
export class ScrapeTable {
  private readonly insertStmt: Statement;
  private readonly lastStmt: Statement;
  private readonly recentStmt: Statement;
  private readonly pruneStmt: Statement;

  constructor(db: Database) {
    this.insertStmt = db.prepare(
      'INSERT INTO scrapes (service_id, t, ok, reason, duration_ms, failures) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.lastStmt = db.prepare(
      'SELECT t, ok, reason, duration_ms, failures FROM scrapes WHERE service_id = ? ORDER BY t DESC, id DESC LIMIT 1',
    );
    this.recentStmt = db.prepare(
      `SELECT * FROM (SELECT id, t, ok, reason, duration_ms, failures FROM scrapes WHERE service_id = ?
         ORDER BY t DESC, id DESC LIMIT ?) ORDER BY t ASC, id ASC`,
    );
    this.pruneStmt = db.prepare('DELETE FROM scrapes WHERE t < ?');
  }

  insert(serviceId: number, r: ScrapeRecord): number {
    if (!Number.isFinite(r.at)) throw new Error(`storing scrape: at must be a finite Unix ms time, got ${r.at}`);
    const failures = r.failures === undefined || r.failures.length === 0 ? null : JSON.stringify(r.failures);
    const info = this.insertStmt.run(serviceId, r.at, r.ok ? 1 : 0, r.reason ?? null, r.durationMs, failures);
    return Number(info.lastInsertRowid);
  }

  last(serviceId: number): ScrapeRecord | undefined {
    const row = this.lastStmt.get(serviceId) as ScrapeRow | undefined;
    return row && rowToRecord(row);
  }

  /** The newest `limit` scrapes, oldest first. */
  recent(serviceId: number, limit: number): ScrapeRecord[] {
    return (this.recentStmt.all(serviceId, Math.max(0, Math.floor(limit))) as ScrapeRow[]).map(rowToRecord);
  }

  /** Deletes log rows older than `before` (Unix ms); returns how many. */
  pruneBefore(before: number): number {
    return this.pruneStmt.run(before).changes;
  }
}

function rowToRecord(row: ScrapeRow): ScrapeRecord {
  const r: ScrapeRecord = { at: row.t, ok: row.ok === 1, durationMs: row.duration_ms };
  if (row.reason !== null) r.reason = row.reason;
  if (row.failures !== null) r.failures = JSON.parse(row.failures) as unknown[];
  return r;
}
