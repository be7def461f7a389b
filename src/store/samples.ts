import type { Database, Statement } from 'better-sqlite3';
import { emptySample, SAMPLE_FIELDS, type Sample, type SampleField } from '../model/sample.js';

/** Sample field -> samples column (migrations/0001_init.sql). A new field fails to compile here until mapped. */
export const SAMPLE_COLUMNS: Record<SampleField, string> = {
  heapAlloc: 'heap_alloc',
  heapInuse: 'heap_inuse',
  heapIdle: 'heap_idle',
  heapReleased: 'heap_released',
  heapSys: 'heap_sys',
  heapObjects: 'heap_objects',
  sys: 'sys',
  stackInuse: 'stack_inuse',
  stackSys: 'stack_sys',
  mspanInuse: 'mspan_inuse',
  mspanSys: 'mspan_sys',
  mcacheInuse: 'mcache_inuse',
  mcacheSys: 'mcache_sys',
  buckHashSys: 'buck_hash_sys',
  gcSys: 'gc_sys',
  otherSys: 'other_sys',
  nextGC: 'next_gc',
  lastGC: 'last_gc',
  numGC: 'num_gc',
  numForcedGC: 'num_forced_gc',
  totalAlloc: 'total_alloc',
  mallocs: 'mallocs',
  frees: 'frees',
  pauseTotalNs: 'pause_total_ns',
  gcCPUFraction: 'gc_cpu_fraction',
  goroutines: 'goroutines',
  rss: 'rss',
  processStart: 'process_start',
  pid: 'pid',
  gogc: 'gogc',
  gomemlimit: 'gomemlimit',
};

// Aliased back to field names so a row maps to a Sample without a second lookup table.
const SELECT_LIST = ['t', ...SAMPLE_FIELDS.map((f) => `${SAMPLE_COLUMNS[f]} AS "${f}"`), 'restart'].join(', ');

type SampleRow = { t: number; restart: number | null } & Record<SampleField, number | null>;

/** Bounds for statements that always take a range: no sample is older or newer than these. */
const T_MIN = Number.MIN_SAFE_INTEGER;
const T_MAX = Number.MAX_SAFE_INTEGER;

export interface SampleQuery {
  /** Inclusive, Unix ms. */
  from?: number;
  /** Inclusive, Unix ms. */
  to?: number;
  /** Keep only the newest `limit` samples of the range (still returned oldest first). */
  limit?: number;
}

/** The samples table. Every statement is prepared once, here. */
export class SampleTable {
  private readonly insertStmt: Statement;
  private readonly rangeStmt: Statement;
  private readonly windowStmt: Statement;
  private readonly latestStmt: Statement;
  private readonly latestMemStatsStmt: Statement;
  private readonly countStmt: Statement;
  private readonly pruneStmt: Statement;

  constructor(db: Database) {
    const cols = ['service_id', 't', ...SAMPLE_FIELDS.map((f) => SAMPLE_COLUMNS[f]), 'restart'];
    this.insertStmt = db.prepare(
      `INSERT INTO samples (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
    );
    this.rangeStmt = db.prepare(
      `SELECT * FROM (SELECT id, ${SELECT_LIST} FROM samples WHERE service_id = ? AND t >= ? AND t <= ?
         ORDER BY t DESC, id DESC LIMIT ?) ORDER BY t ASC, id ASC`,
    );
    // Ascending straight off the (service_id, t) index: no sort, rows streamed one at a time.
    this.windowStmt = db.prepare(
      `SELECT ${SELECT_LIST} FROM samples WHERE service_id = ? AND t >= ? AND t <= ? ORDER BY t ASC, id ASC`,
    );
    this.latestStmt = db.prepare(
      `SELECT ${SELECT_LIST} FROM samples WHERE service_id = ? ORDER BY t DESC, id DESC LIMIT 1`,
    );
    this.latestMemStatsStmt = db.prepare(
      `SELECT ${SELECT_LIST} FROM samples WHERE service_id = ? AND sys IS NOT NULL ORDER BY t DESC, id DESC LIMIT 1`,
    );
    this.countStmt = db.prepare('SELECT count(*) AS n FROM samples WHERE service_id = ?').pluck();
    this.pruneStmt = db.prepare('DELETE FROM samples WHERE t < ?');
  }

  insert(serviceId: number, s: Sample): number {
    const values = SAMPLE_FIELDS.map((f) => toColumnValue(s[f], f));
    const restart = s.restart === undefined ? null : s.restart ? 1 : 0;
    return Number(this.insertStmt.run(serviceId, checkTime(s.t), ...values, restart).lastInsertRowid);
  }

  range(serviceId: number, q: SampleQuery = {}): Sample[] {
    const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit));
    const rows = this.rangeStmt.all(serviceId, q.from ?? T_MIN, q.to ?? T_MAX, limit) as SampleRow[];
    return rows.map(rowToSample);
  }

  /**
   * Samples in [from, to], oldest first, read one row at a time (one query): a daemon loading a
   * week of samples per service at start-up holds one row, not the week. The connection is busy
   * until the iteration ends.
   */
  *each(serviceId: number, q: Omit<SampleQuery, 'limit'> = {}): Generator<Sample> {
    for (const row of this.windowStmt.iterate(serviceId, q.from ?? T_MIN, q.to ?? T_MAX)) yield rowToSample(row as SampleRow);
  }

  latest(serviceId: number): Sample | undefined {
    const row = this.latestStmt.get(serviceId) as SampleRow | undefined;
    return row && rowToSample(row);
  }

  /** The newest sample with MemStats (a pprof-only service has them only every heapTextSchedule). */
  latestMemStats(serviceId: number): Sample | undefined {
    const row = this.latestMemStatsStmt.get(serviceId) as SampleRow | undefined;
    return row && rowToSample(row);
  }

  count(serviceId: number): number {
    return this.countStmt.get(serviceId) as number;
  }

  /** Deletes samples older than `before` (Unix ms); returns how many. */
  pruneBefore(before: number): number {
    return this.pruneStmt.run(before).changes;
  }
}

function checkTime(t: number): number {
  if (!Number.isFinite(t)) throw new Error(`storing sample: t must be a finite Unix ms time, got ${t}`);
  return t;
}

function toColumnValue(v: number | undefined, field: SampleField): number | null {
  if (v === undefined || v === null) return null;
  // NaN would be stored as NULL by SQLite and silently read back as "not observed".
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`storing sample: ${field} is not a number (${String(v)})`);
  return v;
}

/** Row -> Sample, leaving out unobserved fields (undefined, never null). */
export function rowToSample(row: SampleRow): Sample {
  const s = emptySample(row.t);
  for (const f of SAMPLE_FIELDS) {
    const v = row[f];
    if (v !== null && v !== undefined) s[f] = v;
  }
  if (row.restart !== null && row.restart !== undefined) s.restart = row.restart === 1;
  return s;
}
