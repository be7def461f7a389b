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

/**
 * Did the process restart between two consecutive samples? The collector's flag when it set one,
 * else what the samples show: another pid or start time, or cumulative counters gone backwards.
 */
export function isRestart(prev: Sample | undefined, cur: Sample): boolean {
  if (cur.restart === true) return true;
  if (!prev) return false;
  if (prev.pid !== undefined && cur.pid !== undefined && prev.pid !== cur.pid) return true;
  if (
    prev.processStart !== undefined &&
    cur.processStart !== undefined &&
    Math.abs(cur.processStart - prev.processStart) > START_TOLERANCE_MS
  ) {
    return true;
  }
  // Cumulative counters only go backwards when a new process starts counting from zero.
  if (prev.numGC !== undefined && cur.numGC !== undefined && cur.numGC < prev.numGC) return true;
  return prev.totalAlloc !== undefined && cur.totalAlloc !== undefined && cur.totalAlloc < prev.totalAlloc * (1 - TOTAL_ALLOC_SLACK);
}
