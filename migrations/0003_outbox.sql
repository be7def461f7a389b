-- Alert outbox: one row per (incident event, channel), written before anything is sent, so a
-- delivery survives restarts and is sent at most once per channel (the UNIQUE key). Rows are
-- claimed by flipping status to 'sending' in one statement, so two workers never send the same row.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  incident_id     INTEGER NOT NULL,
  event_kind      TEXT    NOT NULL CHECK (event_kind IN ('open', 'remind', 'resolve')),
  event_seq       INTEGER NOT NULL DEFAULT 0,
  channel         TEXT    NOT NULL,
  -- The AlertEvent as JSON, a snapshot: the message says what was true when the event happened.
  payload         TEXT    NOT NULL,
  status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,   -- Unix ms
  next_attempt_at INTEGER NOT NULL,   -- Unix ms
  claimed_by      TEXT,               -- worker token "pid:random" while status = 'sending'
  claimed_at      INTEGER,
  sent_at         INTEGER,
  last_error      TEXT,               -- redacted
  UNIQUE (incident_id, event_kind, event_seq, channel)
);

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_incident ON outbox (incident_id);
