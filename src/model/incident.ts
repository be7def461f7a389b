/** What grows. */
export type Metric = 'heap' | 'sys' | 'rss' | 'goroutines';

export const METRICS: readonly Metric[] = ['heap', 'sys', 'rss', 'goroutines'];

/** One function's growth between the baseline and the current heap profile. */
export interface GrowthFunction {
  function: string;
  /** inuse_space delta (flat, as `go tool pprof -top -diff_base` shows it). */
  deltaBytes: number;
  /** inuse_objects delta (flat). */
  deltaObjects: number;
  /** cum inuse_space delta. */
  cumBytes?: number;
  /** deltaBytes as a fraction of the total net growth (0..1, may exceed 1 when other code shrank). */
  share?: number;
}

/** A goroutine stack whose count grew. */
export interface GrowingStack {
  /** The first non-runtime frame from the leaf: where the goroutines block. */
  function: string;
  delta: number;
  count: number;
  /** Function names, leaf first. */
  stack: string[];
}

/**
 * Why an incident closed. `gone` (the service left the discovered fleet or the config file) is set by the daemon,
 * never by the detector.
 */
export type ResolveReason = NonNullable<Incident['resolveReason']>;

export interface Incident {
  id: number;
  service: string;
  metric: Metric;
  /** Unix ms. */
  openedAt: number;
  resolvedAt: number | null;
  resolveReason?: 'growth-stopped' | 'restart' | 'gone';
  /** Latest conservative (lower-bound) slope per hour, in bytes or goroutines (≤ 0 once growth stopped). */
  slopePerHour: number;
  /** The conservative slope per hour when the incident opened. */
  openSlopePerHour?: number;
  /** 0..1 from the significance test. */
  confidence: number;
  /** Current level (floor) of the metric. */
  current: number;
  /** Configured limit for the metric, when set. */
  limit?: number;
  /** Hours until the limit at the current rate, or null. */
  timeToLimitHours: number | null;
  topGrowth: GrowthFunction[];
  topGoroutines: GrowingStack[];
  /** Stored profile ids used for attribution. */
  baselineProfileId?: number;
  currentProfileId?: number;
  /** Plain words, e.g. "RSS grows while the Go heap is flat: memory outside the Go heap". */
  note?: string;
  lastAlertAt?: number | null;
}
