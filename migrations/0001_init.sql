-- leakwatch schema 1: services, samples, stored profiles, the scrape log, profile pins.
-- Byte and count columns use INTEGER affinity: integer values up to 2^63 are stored exactly
-- (totalAlloc, lastGC in ns), and a non-integral value is kept as REAL rather than rounded.

CREATE TABLE services (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

-- One row per observation; columns mirror SAMPLE_FIELDS of src/model/sample.ts (NULL = not observed).
CREATE TABLE samples (
  id               INTEGER PRIMARY KEY,
  service_id       INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
  t                INTEGER NOT NULL,            -- Unix ms
  heap_alloc       INTEGER,
  heap_inuse       INTEGER,
  heap_idle        INTEGER,
  heap_released    INTEGER,
  heap_sys         INTEGER,
  heap_objects     INTEGER,
  sys              INTEGER,
  stack_inuse      INTEGER,
  stack_sys        INTEGER,
  mspan_inuse      INTEGER,
  mspan_sys        INTEGER,
  mcache_inuse     INTEGER,
  mcache_sys       INTEGER,
  buck_hash_sys    INTEGER,
  gc_sys           INTEGER,
  other_sys        INTEGER,
  next_gc          INTEGER,
  last_gc          INTEGER,                     -- ns since epoch
  num_gc           INTEGER,
  num_forced_gc    INTEGER,
  total_alloc      INTEGER,
  mallocs          INTEGER,
  frees            INTEGER,
  pause_total_ns   INTEGER,
  gc_cpu_fraction  REAL,
  goroutines       INTEGER,
  rss              INTEGER,
  process_start    INTEGER,                     -- Unix ms
  pid              INTEGER,
  gogc             INTEGER,
  gomemlimit       INTEGER,
  restart          INTEGER CHECK (restart IN (0, 1))
);
CREATE INDEX samples_service_t ON samples(service_id, t);
CREATE INDEX samples_t ON samples(t);             -- retention deletes by age across services

-- Profiles exactly as the target sent them (gzip'd proto), so `go tool pprof` can open them later.
CREATE TABLE profiles (
  id          INTEGER PRIMARY KEY,
  service_id  INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
  t           INTEGER NOT NULL,                 -- Unix ms, when leakwatch captured it
  kind        TEXT NOT NULL CHECK (kind IN ('heap', 'goroutine', 'allocs')),
  time_nanos  TEXT,                             -- Profile.time_nanos; TEXT because int64 ns exceed 2^53
  data        BLOB NOT NULL,
  size        INTEGER NOT NULL,
  totals      TEXT                              -- JSON array: total per sample type
);
CREATE INDEX profiles_service_kind_t ON profiles(service_id, kind, t);
CREATE INDEX profiles_t ON profiles(t);

CREATE TABLE scrapes (
  id           INTEGER PRIMARY KEY,
  service_id   INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
  t            INTEGER NOT NULL,                -- Unix ms, start of the scrape
  ok           INTEGER NOT NULL CHECK (ok IN (0, 1)),
  reason       TEXT,
  duration_ms  REAL NOT NULL,
  failures     TEXT                             -- JSON array of per-source failures
);
CREATE INDEX scrapes_service_t ON scrapes(service_id, t);
CREATE INDEX scrapes_t ON scrapes(t);

-- A pinned profile (e.g. an incident's baseline) is never pruned while any pin remains.
CREATE TABLE profile_pins (
  profile_id  INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
  reason      TEXT NOT NULL,
  PRIMARY KEY (profile_id, reason)
) WITHOUT ROWID;
