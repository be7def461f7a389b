-- What a scrape log row is: a scheduled sample scrape, or a capture of profiles (the profile
-- schedule, an incident's attribution, a last-gasp capture). `status` judges reachability from
-- sample scrapes alone and shows the last capture apart: a failing pprof endpoint on a service
-- whose samples arrive must not make it flicker "unreachable" after every profile round.
-- Rows written before this migration count as sample scrapes.
ALTER TABLE scrapes ADD COLUMN kind TEXT NOT NULL DEFAULT 'sample' CHECK (kind IN ('sample', 'profiles'));
-- The last row of a kind per service (status, for every service), without reading past a week of the other kind.
CREATE INDEX scrapes_service_kind_t ON scrapes(service_id, kind, t);
