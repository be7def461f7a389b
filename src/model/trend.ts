/** A fitted trend of one metric as the detector reports it (status, incidents, replay). */
export interface Trend {
  /** Theil–Sen slope per hour of the metric's floor (bytes or goroutines). */
  slopePerHour: number;
  /** One-sided 95% bounds of the slope (Sen's interval, autocorrelation-corrected). */
  lowerPerHour: number;
  upperPerHour: number;
  /** 0..1, corrected Mann–Kendall confidence that the floor increases. */
  confidence: number;
  /** Latest floor level. */
  current: number;
  /** Points (bucket floors) in the fit. */
  n: number;
  /** Hours until the configured limit at the fitted slope; 0 when already over; null without a limit or growth. */
  timeToLimitHours: number | null;
  /** The configured limit, when set. */
  limit?: number;
}
