/**
 * Where discovered services came from (labels, source) and whether they left, so `status` — a
 * separate process reading the database — can list them like the configured ones.
 */
import type { Database, Statement } from 'better-sqlite3';

export interface DiscoveredService {
  name: string;
  labels: Record<string, string>;
  source: string;
  /** Unix ms when it left the fleet; null while discovered. */
  goneAt: number | null;
}

export class DiscoveredStore {
  private readonly seenStmt: Statement;
  private readonly goneStmt: Statement;
  private readonly listStmt: Statement;

  constructor(db: Database) {
    this.seenStmt = db.prepare(`INSERT INTO services (name, labels, source, gone_at) VALUES (?, ?, ?, NULL)
      ON CONFLICT (name) DO UPDATE SET labels = excluded.labels, source = excluded.source, gone_at = NULL`);
    this.goneStmt = db.prepare('UPDATE services SET gone_at = ? WHERE name = ? AND source IS NOT NULL');
    this.listStmt = db.prepare('SELECT name, labels, source, gone_at AS goneAt FROM services WHERE source IS NOT NULL ORDER BY name');
  }

  seen(name: string, labels: Record<string, string>, source: string): void {
    this.seenStmt.run(name, JSON.stringify(labels), source);
  }

  gone(name: string, at: number): void {
    this.goneStmt.run(at, name);
  }

  list(): DiscoveredService[] {
    return (this.listStmt.all() as { name: string; labels: string; source: string; goneAt: number | null }[])
      .map((r) => ({ ...r, labels: JSON.parse(r.labels) as Record<string, string> }));
  }
}
