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
  /** How late a scheduled sample scrape started after it was due, ms (absent for profile captures). */
  lagMs?: number;
  /** Ticks of the service skipped just before this scrape. */
  skipped?: number;
  /** A scheduled sample scrape (the default) or a capture of profiles. */
  kind?: 'sample' | 'profiles';
}

/** The scheduling health `status` shows. */
export interface ScrapeSchedule {
  /** Lag of the newest sample scrape, ms; null before the first. */
  lagMs: number | null;
  /** Skipped ticks over the retained scrape log. */
  skipped: number;
}

interface ScrapeRow {
  t: number;
  ok: number;
  reason: string | null;
  duration_ms: number;
  failures: string | null;
  lag_ms: number | null;
  skipped: number;
  kind: 'sample' | 'profiles';
}

/** The scrapes table (the scrape log). Every statement is prepared once, here. */
export class ScrapeTable {
  private readonly insertStmt: Statement;
  private readonly lastStmt: Statement;
  private readonly recentStmt: Statement;
  private readonly pruneStmt: Statement;
  private readonly scheduleStmt: Statement;

  constructor(db: Database) {
    this.insertStmt = db.prepare(
      'INSERT INTO scrapes (service_id, t, ok, reason, duration_ms, failures, lag_ms, skipped, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.lastStmt = db.prepare(
      'SELECT t, ok, reason, duration_ms, failures, lag_ms, skipped, kind FROM scrapes WHERE service_id = ? AND kind = ? ORDER BY t DESC, id DESC LIMIT 1',
    );
    this.recentStmt = db.prepare(
      `SELECT * FROM (SELECT id, t, ok, reason, duration_ms, failures, lag_ms, skipped, kind FROM scrapes WHERE service_id = ?
         ORDER BY t DESC, id DESC LIMIT ?) ORDER BY t ASC, id ASC`,
    );
    this.pruneStmt = db.prepare('DELETE FROM scrapes WHERE t < ?');
    this.scheduleStmt = db.prepare(
      `SELECT (SELECT lag_ms FROM scrapes WHERE service_id = $id AND lag_ms IS NOT NULL ORDER BY t DESC, id DESC LIMIT 1) AS lagMs,
              (SELECT COALESCE(SUM(skipped), 0) FROM scrapes WHERE service_id = $id AND skipped > 0) AS skipped`,
    );
  }

  insert(serviceId: number, r: ScrapeRecord): number {
    if (!Number.isFinite(r.at)) throw new Error(`storing scrape: at must be a finite Unix ms time, got ${r.at}`);
    const failures = r.failures === undefined || r.failures.length === 0 ? null : JSON.stringify(r.failures);
    const info = this.insertStmt.run(serviceId, r.at, r.ok ? 1 : 0, r.reason ?? null, r.durationMs, failures, r.lagMs ?? null, r.skipped ?? 0, r.kind ?? 'sample');
    return Number(info.lastInsertRowid);
  }

  /** The newest row of that kind: the last sample scrape, or the last capture of profiles. */
  last(serviceId: number, kind: 'sample' | 'profiles' = 'sample'): ScrapeRecord | undefined {
    const row = this.lastStmt.get(serviceId, kind) as ScrapeRow | undefined;
    return row && rowToRecord(row);
  }

  /** The newest `limit` scrapes, oldest first. */
  recent(serviceId: number, limit: number): ScrapeRecord[] {
    return (this.recentStmt.all(serviceId, Math.max(0, Math.floor(limit))) as ScrapeRow[]).map(rowToRecord);
  }

  schedule(serviceId: number): ScrapeSchedule {
    return this.scheduleStmt.get({ id: serviceId }) as ScrapeSchedule;
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
  if (row.lag_ms !== null) r.lagMs = row.lag_ms;
  if (row.skipped) r.skipped = row.skipped;
  if (row.kind === 'profiles') r.kind = row.kind;
  return r;
}
