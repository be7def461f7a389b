import type { Database, Statement } from 'better-sqlite3';
import type { ProfileKind } from '../model/sample.js';

/** A stored profile without its body. */
export interface ProfileMeta {
  id: number;
  service: string;
  /** Unix ms, when leakwatch captured it. */
  t: number;
  kind: ProfileKind;
  /** Bytes of the stored (gzip'd) body. */
  size: number;
  /** Profile.time_nanos as the target wrote it, when known. */
  timeNanos?: bigint;
  /** Total per sample type, in the profile's sample type order, when the collector computed them. */
  totals?: number[];
}

export interface NewProfile {
  kind: ProfileKind;
  /** The body as received (gzip'd proto); stored untouched so `go tool pprof` opens it. */
  data: Buffer;
  timeNanos?: bigint;
  totals?: number[];
}

export interface ProfileQuery {
  kind?: ProfileKind;
  /** Inclusive, Unix ms. */
  from?: number;
  /** Inclusive, Unix ms. */
  to?: number;
}

interface ProfileRow {
  id: number;
  service: string;
  t: number;
  kind: ProfileKind;
  size: number;
  time_nanos: string | null;
  totals: string | null;
}

const META = `p.id, s.name AS service, p.t, p.kind, p.size, p.time_nanos, p.totals
  FROM profiles p JOIN services s ON s.id = p.service_id`;

/** The profiles and profile_pins tables. Every statement is prepared once, here. */
export class ProfileTable {
  private readonly insertStmt: Statement;
  private readonly listStmt: Statement;
  private readonly listKindStmt: Statement;
  private readonly metaStmt: Statement;
  private readonly dataStmt: Statement;
  private readonly beforeStmt: Statement;
  private readonly afterStmt: Statement;
  private readonly pinStmt: Statement;
  private readonly unpinStmt: Statement;
  private readonly unpinAllStmt: Statement;
  private readonly pruneStmt: Statement;

  constructor(db: Database) {
    this.insertStmt = db.prepare(
      'INSERT INTO profiles (service_id, t, kind, time_nanos, data, size, totals) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.listStmt = db.prepare(`SELECT ${META} WHERE p.service_id = ? AND p.t >= ? AND p.t <= ? ORDER BY p.t, p.id`);
    this.listKindStmt = db.prepare(
      `SELECT ${META} WHERE p.service_id = ? AND p.kind = ? AND p.t >= ? AND p.t <= ? ORDER BY p.t, p.id`,
    );
    this.metaStmt = db.prepare(`SELECT ${META} WHERE p.id = ?`);
    this.dataStmt = db.prepare('SELECT data FROM profiles WHERE id = ?').pluck();
    this.beforeStmt = db.prepare(
      `SELECT ${META} WHERE p.service_id = ? AND p.kind = ? AND p.t <= ? ORDER BY p.t DESC, p.id DESC LIMIT 1`,
    );
    this.afterStmt = db.prepare(
      `SELECT ${META} WHERE p.service_id = ? AND p.kind = ? AND p.t >= ? ORDER BY p.t ASC, p.id ASC LIMIT 1`,
    );
    this.pinStmt = db.prepare('INSERT OR IGNORE INTO profile_pins (profile_id, reason) VALUES (?, ?)');
    this.unpinStmt = db.prepare('DELETE FROM profile_pins WHERE profile_id = ? AND reason = ?');
    this.unpinAllStmt = db.prepare('DELETE FROM profile_pins WHERE profile_id = ?');
    this.pruneStmt = db.prepare(
      `DELETE FROM profiles WHERE t < ? AND NOT EXISTS (SELECT 1 FROM profile_pins WHERE profile_id = profiles.id)`,
    );
  }

  insert(serviceId: number, t: number, p: NewProfile): number {
    if (!Buffer.isBuffer(p.data)) throw new Error(`storing profile: ${p.kind} body is not a Buffer`);
    const totals = p.totals === undefined ? null : JSON.stringify(p.totals);
    const timeNanos = p.timeNanos === undefined ? null : p.timeNanos.toString();
    return Number(this.insertStmt.run(serviceId, t, p.kind, timeNanos, p.data, p.data.length, totals).lastInsertRowid);
  }

  list(serviceId: number, q: ProfileQuery = {}): ProfileMeta[] {
    const from = q.from ?? Number.MIN_SAFE_INTEGER;
    const to = q.to ?? Number.MAX_SAFE_INTEGER;
    const rows = (q.kind === undefined
      ? this.listStmt.all(serviceId, from, to)
      : this.listKindStmt.all(serviceId, q.kind, from, to)) as ProfileRow[];
    return rows.map(rowToMeta);
  }

  meta(id: number): ProfileMeta | undefined {
    const row = this.metaStmt.get(id) as ProfileRow | undefined;
    return row && rowToMeta(row);
  }

  data(id: number): Buffer | undefined {
    return this.dataStmt.get(id) as Buffer | undefined;
  }

  /** The newest profile at or before `t` ('before'), or the oldest at or after it ('after'). */
  near(serviceId: number, kind: ProfileKind, t: number, dir: 'before' | 'after'): ProfileMeta | undefined {
    const row = (dir === 'before' ? this.beforeStmt : this.afterStmt).get(serviceId, kind, t) as ProfileRow | undefined;
    return row && rowToMeta(row);
  }

  pin(id: number, reason: string): void {
    try {
      this.pinStmt.run(id, reason);
    } catch (err) {
      throw new Error(`pinning profile ${id}: ${(err as Error).message}`);
    }
  }

  /** Removes one pin (or, without a reason, every pin) so retention may prune the profile again. */
  unpin(id: number, reason?: string): void {
    if (reason === undefined) this.unpinAllStmt.run(id);
    else this.unpinStmt.run(id, reason);
  }

  /** Deletes unpinned profiles older than `before` (Unix ms); returns how many. */
  pruneBefore(before: number): number {
    return this.pruneStmt.run(before).changes;
  }
}

function rowToMeta(row: ProfileRow): ProfileMeta {
  const m: ProfileMeta = { id: row.id, service: row.service, t: row.t, kind: row.kind, size: row.size };
  if (row.time_nanos !== null) m.timeNanos = BigInt(row.time_nanos);
  if (row.totals !== null) m.totals = JSON.parse(row.totals) as number[];
  return m;
}
