-- leakwatch schema 6, fleets. An incident may also resolve as 'gone' (its service left the discovered
-- fleet). SQLite cannot change a CHECK in place: the table is rebuilt with the same columns and
-- indexes. Nothing references incidents, so dropping the old table cascades nowhere.

CREATE TABLE incidents_new (
  id                   INTEGER PRIMARY KEY,
  service_id           INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
  metric               TEXT NOT NULL CHECK (metric IN ('heap', 'sys', 'rss', 'goroutines')),
  opened_at            INTEGER NOT NULL,                -- Unix ms
  updated_at           INTEGER NOT NULL,                -- Unix ms, last trend update
  resolved_at          INTEGER,                         -- Unix ms; NULL while open
  resolve_reason       TEXT CHECK (resolve_reason IN ('growth-stopped', 'restart', 'gone')),
  slope_per_hour       REAL NOT NULL,                   -- conservative (lower-bound) slope
  fitted_slope_per_hour REAL NOT NULL,                  -- Theil–Sen point estimate
  confidence           REAL NOT NULL,
  current              REAL NOT NULL,                   -- floor level of the metric
  limit_value          REAL,                            -- configured limit, when set
  time_to_limit_hours  REAL,
  top_growth           TEXT NOT NULL DEFAULT '[]',      -- JSON GrowthFunction[]
  top_goroutines       TEXT NOT NULL DEFAULT '[]',      -- JSON GrowingStack[]
  baseline_profile_id  INTEGER REFERENCES profiles(id) ON DELETE SET NULL,
  current_profile_id   INTEGER REFERENCES profiles(id) ON DELETE SET NULL,
  note                 TEXT,
  last_alert_at        INTEGER,                         -- Unix ms of the last open/remind alert
  open_slope_per_hour  REAL                             -- schema 4: the slope it opened with
);
INSERT INTO incidents_new (id, service_id, metric, opened_at, updated_at, resolved_at, resolve_reason, slope_per_hour, fitted_slope_per_hour, confidence, current, limit_value, time_to_limit_hours, top_growth, top_goroutines, baseline_profile_id, current_profile_id, note, last_alert_at, open_slope_per_hour)
  SELECT id, service_id, metric, opened_at, updated_at, resolved_at, resolve_reason, slope_per_hour, fitted_slope_per_hour, confidence, current, limit_value, time_to_limit_hours, top_growth, top_goroutines, baseline_profile_id, current_profile_id, note, last_alert_at, open_slope_per_hour FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;
CREATE UNIQUE INDEX incidents_one_open ON incidents(service_id, metric) WHERE resolved_at IS NULL;
CREATE INDEX incidents_service_opened ON incidents(service_id, opened_at);

-- A discovered service's labels and source (design §8: `status` shows them), and when it left
-- the fleet (NULL while discovered). Services from the config file leave them NULL.
ALTER TABLE services ADD COLUMN labels TEXT;
ALTER TABLE services ADD COLUMN source TEXT;
ALTER TABLE services ADD COLUMN gone_at INTEGER;
