-- leakwatch schema 4: an incident keeps the conservative slope it opened with beside the latest
-- one (`slope_per_hour`), so a page or an alert can say how fast it grew then and now.

ALTER TABLE incidents ADD COLUMN open_slope_per_hour REAL;
UPDATE incidents SET open_slope_per_hour = slope_per_hour;
