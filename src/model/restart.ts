/** Did the process restart between two samples? (design §4: never fit a trend across one.) Pure. */
import type { Sample } from './sample.js';

/**
 * processStart from /proc is btime + starttime (10 ms ticks) and from Prometheus it is the
 * program's own clock at init; the two, and btime itself, can disagree by up to about a second.
 */
export const START_TOLERANCE_MS = 2000;

/**
 * client_golang reads TotalAlloc from runtime/metrics without flushing per-P caches, so when the
 * source alternates it can trail the stop-the-world value a little. A restart drops it to near
 * zero; 1% keeps the first from looking like the second.
 */
export const TOTAL_ALLOC_SLACK = 0.01;

export function detectRestart(prev: Sample | undefined, next: Sample): boolean {
  if (!prev) return false;
  if (prev.pid !== undefined && next.pid !== undefined && prev.pid !== next.pid) return true;
  if (
    prev.processStart !== undefined &&
    next.processStart !== undefined &&
    Math.abs(next.processStart - prev.processStart) > START_TOLERANCE_MS
  ) {
    return true;
  }
  // Cumulative counters only go backwards when a new process starts counting from zero.
  if (prev.numGC !== undefined && next.numGC !== undefined && next.numGC < prev.numGC) return true;
  if (
    prev.totalAlloc !== undefined &&
    next.totalAlloc !== undefined &&
    next.totalAlloc < prev.totalAlloc * (1 - TOTAL_ALLOC_SLACK)
  ) {
    return true;
  }
  return false;
}

/** A restart between two consecutive samples: the collector's flag, or what the samples show. */
export function isRestart(prev: Sample, cur: Sample): boolean {
  return cur.restart === true || detectRestart(prev, cur);
}
