import type { Database } from 'better-sqlite3';

/** How long each kind of row is kept, in ms (config `retention`). */
export interface Retention {
  samples: number;
  profiles: number;
  scrapeLog: number;
}

export interface PruneCounts {
  samples: number;
  profiles: number;
  scrapes: number;
}

export interface Cutoffs {
  samples: number;
  profiles: number;
  scrapes: number;
}

/** Rows strictly older than each cutoff go. A non-positive or non-finite retention keeps everything. */
export function cutoffs(retention: Retention, now: number): Cutoffs {
  const cut = (keep: number): number => (Number.isFinite(keep) && keep > 0 ? now - keep : Number.MIN_SAFE_INTEGER);
  return { samples: cut(retention.samples), profiles: cut(retention.profiles), scrapes: cut(retention.scrapeLog) };
}

export interface Prunable {
  pruneBefore(before: number): number;
}

/**
 * Deletes old rows in one transaction, then hands the freed pages back: incremental_vacuum
 * shrinks the main file (auto_vacuum=INCREMENTAL, set in db.ts) and a TRUNCATE checkpoint
 * empties the WAL, so over many prune cycles the database stays at its steady-state size.
 */
export function pruneTables(
  db: Database,
  tables: { samples: Prunable; profiles: Prunable; scrapes: Prunable },
  retention: Retention,
  now: number,
): PruneCounts {
  const c = cutoffs(retention, now);
  const counts = db.transaction(
    (): PruneCounts => ({
      samples: tables.samples.pruneBefore(c.samples),
      profiles: tables.profiles.pruneBefore(c.profiles),
      scrapes: tables.scrapes.pruneBefore(c.scrapes),
    }),
  )();
  if (counts.samples + counts.profiles + counts.scrapes > 0) {
    db.pragma('incremental_vacuum');
    // Fails harmlessly (busy) while another connection reads; the next prune catches up.
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  return counts;
}
