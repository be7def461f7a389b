-- leakwatch schema 2: incidents. One row per (service, metric) growth episode; the partial unique
-- index allows at most one open incident per (service, metric), so a daemon restart cannot re-open
-- (and re-alert) what is already open.

CREATE TABLE incidents (
  id                   INTEGER PRIMARY KEY,
  service_id           INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
  metric               TEXT NOT NULL CHECK (metric IN ('heap', 'sys', 'rss', 'goroutines')),
  opened_at            INTEGER NOT NULL,                -- Unix ms
  updated_at           INTEGER NOT NULL,                -- Unix ms, last trend update
  resolved_at          INTEGER,                         -- Unix ms; NULL while open
  resolve_reason       TEXT CHECK (resolve_reason IN ('growth-stopped', 'restart')),
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
  last_alert_at        INTEGER                          -- Unix ms of the last open/remind alert
);
CREATE UNIQUE INDEX incidents_one_open ON incidents(service_id, metric) WHERE resolved_at IS NULL;
CREATE INDEX incidents_service_opened ON incidents(service_id, opened_at);
