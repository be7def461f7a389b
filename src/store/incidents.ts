/**
 * Incidents in SQLite (migrations/0002_incidents.sql): the detector's lifecycle events made
 * durable. One open incident per (service, metric) is enforced by a partial unique index, so a
 * daemon restart, or two daemons on one file, cannot open (and alert) the same growth twice.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { GrowingStack, GrowthFunction, Incident, Metric, ResolveReason } from '../model/incident.js';
import type { Trend } from '../model/trend.js';

export interface Attribution {
  topGrowth: GrowthFunction[];
  topGoroutines: GrowingStack[];
  baselineProfileId?: number;
  currentProfileId?: number;
  note?: string;
}

interface IncidentRow {
  id: number;
  service: string;
  metric: Metric;
  opened_at: number;
  resolved_at: number | null;
  resolve_reason: ResolveReason | null;
  slope_per_hour: number;
  open_slope_per_hour: number | null;
  confidence: number;
  current: number;
  limit_value: number | null;
  time_to_limit_hours: number | null;
  top_growth: string;
  top_goroutines: string;
  baseline_profile_id: number | null;
  current_profile_id: number | null;
  note: string | null;
  last_alert_at: number | null;
}

const SELECT = `SELECT i.*, s.name AS service FROM incidents i JOIN services s ON s.id = i.service_id`;

/** Thrown by open() when the (service, metric) already has an open incident. */
export class IncidentAlreadyOpenError extends Error {
  constructor(readonly service: string, readonly metric: Metric, readonly openId: number | undefined) {
    super(`opening incident: ${service} already has an open ${metric} incident${openId === undefined ? '' : ` (#${openId})`}`);
    this.name = 'IncidentAlreadyOpenError';
  }
}

export class IncidentStore {
  private readonly ensureService: Statement;
  private readonly serviceId: Statement;
  private readonly insert: Statement;
  private readonly updateTrend: Statement;
  private readonly resolveStmt: Statement;
  private readonly reopenStmt: Statement;
  private readonly recentOf: Statement;
  private readonly alerted: Statement;
  private readonly attachStmt: Statement;
  private readonly pin: Statement;
  private readonly getStmt: Statement;
  private readonly openAll: Statement;
  private readonly openOf: Statement;
  private readonly openOfMetric: Statement;
  private readonly listAll: Statement;
  private readonly listOf: Statement;

  constructor(private readonly db: Database) {
    this.ensureService = db.prepare('INSERT INTO services (name) VALUES (?) ON CONFLICT (name) DO NOTHING');
    this.serviceId = db.prepare('SELECT id FROM services WHERE name = ?').pluck();
    this.insert = db.prepare(`INSERT INTO incidents (service_id, metric, opened_at, updated_at, slope_per_hour, open_slope_per_hour,
      fitted_slope_per_hour, confidence, current, limit_value, time_to_limit_hours, note)
      VALUES (@serviceId, @metric, @at, @at, @lower, @lower, @slope, @confidence, @current, @limit, @ttl, @note)`);
    this.updateTrend = db.prepare(`UPDATE incidents SET updated_at = @at, slope_per_hour = @lower, fitted_slope_per_hour = @slope,
      confidence = @confidence, current = @current, limit_value = @limit, time_to_limit_hours = @ttl
      WHERE id = @id AND resolved_at IS NULL`);
    this.resolveStmt = db.prepare('UPDATE incidents SET resolved_at = ?, resolve_reason = ? WHERE id = ? AND resolved_at IS NULL');
    this.reopenStmt = db.prepare(`UPDATE incidents SET resolved_at = NULL, resolve_reason = NULL, updated_at = @at, slope_per_hour = @lower,
      fitted_slope_per_hour = @slope, confidence = @confidence, current = @current, limit_value = @limit, time_to_limit_hours = @ttl
      WHERE id = @id AND resolved_at IS NOT NULL`);
    this.recentOf = db.prepare(`${SELECT} WHERE s.name = ? AND (i.resolved_at IS NULL OR i.resolved_at >= ?) ORDER BY i.opened_at, i.id`);
    this.alerted = db.prepare('UPDATE incidents SET last_alert_at = ? WHERE id = ?');
    this.attachStmt = db.prepare(`UPDATE incidents SET top_growth = @topGrowth, top_goroutines = @topGoroutines,
      baseline_profile_id = COALESCE(@baseline, baseline_profile_id), current_profile_id = COALESCE(@current, current_profile_id),
      note = COALESCE(@note, note) WHERE id = @id`);
    this.pin = db.prepare('INSERT OR IGNORE INTO profile_pins (profile_id, reason) VALUES (?, ?)');
    this.getStmt = db.prepare(`${SELECT} WHERE i.id = ?`);
    this.openAll = db.prepare(`${SELECT} WHERE i.resolved_at IS NULL ORDER BY i.opened_at, i.id`);
    this.openOf = db.prepare(`${SELECT} WHERE i.resolved_at IS NULL AND s.name = ? ORDER BY i.opened_at, i.id`);
    this.openOfMetric = db.prepare(`SELECT i.id FROM incidents i JOIN services s ON s.id = i.service_id
      WHERE i.resolved_at IS NULL AND s.name = ? AND i.metric = ?`).pluck();
    this.listAll = db.prepare(`${SELECT} ORDER BY i.opened_at DESC, i.id DESC LIMIT ?`);
    this.listOf = db.prepare(`${SELECT} WHERE s.name = ? ORDER BY i.opened_at DESC, i.id DESC LIMIT ?`);
  }

  /** Opens an incident; throws IncidentAlreadyOpenError when one is open for (service, metric). */
  open(service: string, metric: Metric, trend: Trend, at: number, note?: string): Incident {
    const tx = this.db.transaction(() => {
      this.ensureService.run(service);
      const serviceId = this.serviceId.get(service) as number;
      return Number(this.insert.run({ serviceId, metric, at, note: note ?? null, ...trendParams(trend) }).lastInsertRowid);
    });
    let id: number;
    try {
      id = tx();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new IncidentAlreadyOpenError(service, metric, this.openOfMetric.get(service, metric) as number | undefined);
      }
      throw new Error(`opening incident: ${(err as Error).message}`);
    }
    return this.get(id) as Incident;
  }

  /** New trend for an open incident (ignored once resolved). */
  update(id: number, trend: Trend, at: number): void {
    this.updateTrend.run({ id, at, ...trendParams(trend) });
  }

  resolve(id: number, at: number, reason: ResolveReason): void {
    this.resolveStmt.run(at, reason, id);
  }

  /**
   * Growth resumed soon after the incident resolved: the same incident opens again (one per
   * (service, metric) stays open; the caller checked none is).
   */
  reopen(id: number, trend: Trend, at: number): void {
    try {
      this.reopenStmt.run({ id, at, ...trendParams(trend) });
    } catch (err) {
      throw new Error(`reopening incident ${id}: ${(err as Error).message}`);
    }
  }

  /** The service's open incidents and those resolved at or after `since` (the detector may reopen them). */
  listRecent(service: string, since: number): Incident[] {
    return (this.recentOf.all(service, since) as IncidentRow[]).map(toIncident);
  }

  /** Records that an alert (open or reminder) for the incident went out at `at`. */
  markAlerted(id: number, at: number): void {
    this.alerted.run(at, id);
  }

  /** Stores the attribution and pins its profiles so retention keeps them while the incident exists. */
  attach(id: number, a: Attribution): void {
    const tx = this.db.transaction(() => {
      this.attachStmt.run({
        id, topGrowth: JSON.stringify(a.topGrowth), topGoroutines: JSON.stringify(a.topGoroutines),
        baseline: a.baselineProfileId ?? null, current: a.currentProfileId ?? null, note: a.note ?? null,
      });
      for (const p of [a.baselineProfileId, a.currentProfileId]) if (p !== undefined) this.pin.run(p, `incident:${id}`);
    });
    try {
      tx();
    } catch (err) {
      throw new Error(`attaching profiles to incident ${id}: ${(err as Error).message}`);
    }
  }

  listOpen(service?: string): Incident[] {
    const rows = (service === undefined ? this.openAll.all() : this.openOf.all(service)) as IncidentRow[];
    return rows.map(toIncident);
  }

  /** Newest first. */
  list(opts: { service?: string; limit?: number } = {}): Incident[] {
    const limit = opts.limit ?? -1;
    const rows = (opts.service === undefined ? this.listAll.all(limit) : this.listOf.all(opts.service, limit)) as IncidentRow[];
    return rows.map(toIncident);
  }

  get(id: number): Incident | undefined {
    const row = this.getStmt.get(id) as IncidentRow | undefined;
    return row && toIncident(row);
  }
}

function finiteOrNull(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : x;
}

function trendParams(t: Trend): Record<string, number | null> {
  return {
    lower: finiteOrNull(t.lowerPerHour) ?? 0,
    slope: finiteOrNull(t.slopePerHour) ?? 0,
    confidence: t.confidence,
    current: t.current,
    limit: finiteOrNull(t.limit),
    ttl: finiteOrNull(t.timeToLimitHours),
  };
}

function toIncident(r: IncidentRow): Incident {
  const inc: Incident = {
    id: r.id,
    service: r.service,
    metric: r.metric,
    openedAt: r.opened_at,
    resolvedAt: r.resolved_at,
    slopePerHour: r.slope_per_hour,
    openSlopePerHour: r.open_slope_per_hour ?? r.slope_per_hour,
    confidence: r.confidence,
    current: r.current,
    timeToLimitHours: r.time_to_limit_hours,
    topGrowth: JSON.parse(r.top_growth) as GrowthFunction[],
    topGoroutines: JSON.parse(r.top_goroutines) as GrowingStack[],
    lastAlertAt: r.last_alert_at,
  };
  if (r.resolve_reason !== null) inc.resolveReason = r.resolve_reason as Incident['resolveReason'];
  if (r.limit_value !== null) inc.limit = r.limit_value;
  if (r.baseline_profile_id !== null) inc.baselineProfileId = r.baseline_profile_id;
  if (r.current_profile_id !== null) inc.currentProfileId = r.current_profile_id;
  if (r.note !== null) inc.note = r.note;
  return inc;
}
