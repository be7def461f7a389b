-- Scheduling health per scrape: how late it started after it was due, and how many ticks of the
-- service were skipped just before it (the previous scrape still running, or a tick node-cron
-- dropped because the event loop was late). `status` shows the last lag and the skipped total.
ALTER TABLE scrapes ADD COLUMN lag_ms REAL;                        -- NULL for profile captures
ALTER TABLE scrapes ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
CREATE INDEX scrapes_skipped ON scrapes(service_id) WHERE skipped > 0;
