import type { Statement } from 'better-sqlite3';
import type { ProfileKind, Sample } from '../model/sample.js';
import { openDatabase, type Database, type OpenOptions } from './db.js';
import { ProfileTable, type NewProfile, type ProfileMeta, type ProfileQuery } from './profiles.js';
import { pruneTables, type PruneCounts, type Retention } from './retention.js';
import { SampleTable, type SampleQuery } from './samples.js';
import { ScrapeTable, type ScrapeRecord, type ScrapeSchedule } from './scrapes.js';

export { openDatabase, type Database, type OpenOptions } from './db.js';
export { MIGRATIONS_DIR, loadMigrations, migrate, appliedMigrations, type Migration } from './migrate.js';
export type { NewProfile, ProfileMeta, ProfileQuery } from './profiles.js';
export type { PruneCounts, Retention } from './retention.js';
export type { SampleQuery } from './samples.js';
export type { ScrapeRecord, ScrapeSchedule } from './scrapes.js';

/** Everything one scrape produced; stored whole or not at all. */
export interface ScrapeResult {
  /** Unix ms, when the scrape started; also the time stored with its profiles. */
  at: number;
  ok: boolean;
  reason?: string;
  durationMs: number;
  failures?: unknown[];
  /** Scheduled sample scrapes: how late it started (ms) and the ticks skipped before it. */
  lagMs?: number;
  skipped?: number;
  sample?: Sample;
  profiles?: NewProfile[];
  /** A scheduled sample scrape (the default) or a capture of profiles: `status` tells them apart. */
  kind?: 'sample' | 'profiles';
}

export interface LastScrape {
  at: number;
  ok: boolean;
  reason?: string;
  durationMs: number;
  failures?: unknown[];
}

/**
 * leakwatch's history in SQLite: the seam the collector appends to and the analysers, CLI and
 * dashboard read from. Constructing it only prepares statements; other tables (incidents,
 * outbox) live in their own modules on the same `db`.
 */
export class Store {
  readonly db: Database;
  private readonly samplesT: SampleTable;
  private readonly profilesT: ProfileTable;
  private readonly scrapesT: ScrapeTable;
  private readonly ensureServiceStmt: Statement;
  private readonly serviceIdStmt: Statement;
  private readonly serviceNamesStmt: Statement;
  private readonly serviceIds = new Map<string, number>();
  /**
   * recordScrape's transaction, wrapped once: better-sqlite3 builds five functions and defines
   * their properties for every db.transaction() call, at a one-second schedule 200 times a second.
   */
  private readonly writeScrape: (service: string, r: ScrapeResult) => { sampleId?: number; profileIds: number[] };

  constructor(db: Database) {
    this.db = db;
    this.samplesT = new SampleTable(db);
    this.profilesT = new ProfileTable(db);
    this.scrapesT = new ScrapeTable(db);
    this.ensureServiceStmt = db.prepare('INSERT INTO services (name) VALUES (?) ON CONFLICT (name) DO NOTHING');
    this.serviceIdStmt = db.prepare('SELECT id FROM services WHERE name = ?').pluck();
    this.serviceNamesStmt = db.prepare('SELECT name FROM services ORDER BY name').pluck();
    this.writeScrape = db.transaction((service: string, r: ScrapeResult) => {
      const id = this.ensureService(service);
      this.scrapesT.insert(id, r);
      const out: { sampleId?: number; profileIds: number[] } = { profileIds: [] };
      if (r.sample) out.sampleId = this.samplesT.insert(id, r.sample);
      for (const p of r.profiles ?? []) out.profileIds.push(this.profilesT.insert(id, r.at, p));
      return out;
    });
  }

  static open(path: string, opts?: OpenOptions): Store {
    return new Store(openDatabase(path, opts));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Stores one scrape (log row, sample, profiles) in ONE transaction: it lands whole or not at all. */
  recordScrape(service: string, r: ScrapeResult): { sampleId?: number; profileIds: number[] } {
    try {
      const out = this.writeScrape(service, r);
      this.serviceId(service); // caches the now-committed id
      return out;
    } catch (err) {
      throw new Error(`storing scrape of ${service}: ${(err as Error).message}`);
    }
  }

  /** Samples in [from, to], oldest first; `limit` keeps the newest N of the range. */
  samples(service: string, q: SampleQuery = {}): Sample[] {
    const id = this.serviceId(service);
    return id === undefined ? [] : this.samplesT.range(id, q);
  }

  /** Samples in [from, to], oldest first, streamed row by row in one query (a detector's window at start-up). */
  *eachSample(service: string, q: Omit<SampleQuery, 'limit'> = {}): Generator<Sample> {
    const id = this.serviceId(service);
    if (id !== undefined) yield* this.samplesT.each(id, q);
  }

  latestSample(service: string): Sample | undefined {
    const id = this.serviceId(service);
    return id === undefined ? undefined : this.samplesT.latest(id);
  }

  /** The newest sample that has MemStats (Sys): between two heap?debug=1 reads a pprof-only service's samples have none. */
  latestMemStats(service: string): Sample | undefined {
    const id = this.serviceId(service);
    return id === undefined ? undefined : this.samplesT.latestMemStats(id);
  }

  sampleCount(service: string): number {
    const id = this.serviceId(service);
    return id === undefined ? 0 : this.samplesT.count(id);
  }

  /** The last scheduled sample scrape (kind 'sample'), or the last capture of profiles. */
  lastScrape(service: string, kind: 'sample' | 'profiles' = 'sample'): LastScrape | undefined {
    const id = this.serviceId(service);
    return id === undefined ? undefined : this.scrapesT.last(id, kind);
  }

  /** The last sample scrape's lag and the skipped ticks in the retained scrape log. */
  scrapeSchedule(service: string): ScrapeSchedule {
    const id = this.serviceId(service);
    return id === undefined ? { lagMs: null, skipped: 0 } : this.scrapesT.schedule(id);
  }

  /** The newest `limit` scrape log rows, oldest first. */
  recentScrapes(service: string, limit: number): ScrapeRecord[] {
    const id = this.serviceId(service);
    return id === undefined ? [] : this.scrapesT.recent(id, limit);
  }

  /** Stored profiles, oldest first. */
  listProfiles(service: string, q: ProfileQuery = {}): ProfileMeta[] {
    const id = this.serviceId(service);
    return id === undefined ? [] : this.profilesT.list(id, q);
  }

  profileMeta(id: number): ProfileMeta | undefined {
    return this.profilesT.meta(id);
  }

  /** The stored body, gzip'd proto exactly as the target sent it. */
  profileData(id: number): Buffer | undefined {
    return this.profilesT.data(id);
  }

  /** The newest profile at or before `t` ('before'), or the oldest at or after it ('after'). */
  profileNear(service: string, kind: ProfileKind, t: number, dir: 'before' | 'after'): ProfileMeta | undefined {
    const id = this.serviceId(service);
    return id === undefined ? undefined : this.profilesT.near(id, kind, t, dir);
  }

  /** Keeps a profile through retention (e.g. an incident's baseline). Idempotent per reason. */
  pinProfile(id: number, reason: string): void {
    this.profilesT.pin(id, reason);
  }

  /** Removes one pin, or every pin without a reason. */
  unpinProfile(id: number, reason?: string): void {
    this.profilesT.unpin(id, reason);
  }

  serviceNames(): string[] {
    return this.serviceNamesStmt.all() as string[];
  }

  /** Deletes rows older than their retention (pinned profiles stay) and returns the space. */
  prune(retention: Retention, now: number): PruneCounts {
    try {
      return pruneTables(this.db, { samples: this.samplesT, profiles: this.profilesT, scrapes: this.scrapesT }, retention, now);
    } catch (err) {
      throw new Error(`pruning database: ${(err as Error).message}`);
    }
  }

  /** The service's row id, created on first use; other stores key their rows by it. */
  ensureService(name: string): number {
    const cached = this.serviceIds.get(name);
    if (cached !== undefined) return cached;
    this.ensureServiceStmt.run(name);
    const id = this.serviceIdStmt.get(name) as number;
    // A row created inside a transaction may yet be rolled back: cache only committed ids.
    if (!this.db.inTransaction) this.serviceIds.set(name, id);
    return id;
  }

  /** The service's row id, or undefined when nothing was ever stored for it. */
  serviceId(name: string): number | undefined {
    const cached = this.serviceIds.get(name);
    if (cached !== undefined) return cached;
    const id = this.serviceIdStmt.get(name) as number | undefined;
    if (id !== undefined && !this.db.inTransaction) this.serviceIds.set(name, id);
    return id;
  }
}
