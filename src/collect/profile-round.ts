/**
 * What a scheduled profile round captures. A heap profile every round: it is the baseline a heap
 * incident's diff starts from. A goroutine profile costs a target with 20k goroutines as much as
 * the heap one (~55 ms of its CPU, `npm run bench:overhead`), while a goroutine diff only needs a
 * baseline near the start of the window and goroutine counts come with every sample. So a round
 * takes one when this process lifetime has none yet, when the count has moved by a tenth (and at
 * least 10 goroutines) since the last one, or when that one is a quarter of a window old.
 * Incidents capture both kinds at once whatever this says. Pure.
 */
import type { ProfileKind } from '../model/sample.js';

/** The goroutine profile a round last took: when, at what count, in which process lifetime. */
export interface GoroutineMark {
  at: number;
  goroutines: number | undefined;
  processStart: number | undefined;
}

const MOVED_SHARE = 0.1;
const MOVED_MIN = 10;

/** Kinds for a round at `now`, given the newest sample's goroutine count and process start. */
export function roundKinds(last: GoroutineMark | undefined, now: number, latest: { goroutines?: number; processStart?: number } | undefined, windowMs: number): ProfileKind[] {
  return goroutineDue(last, now, latest, windowMs) ? ['heap', 'goroutine'] : ['heap'];
}

function goroutineDue(last: GoroutineMark | undefined, now: number, latest: { goroutines?: number; processStart?: number } | undefined, windowMs: number): boolean {
  if (!last || !latest) return true;
  if (latest.processStart !== last.processStart) return true;
  if (now - last.at >= windowMs / 4) return true;
  if (latest.goroutines === undefined || last.goroutines === undefined) return true;
  const moved = Math.abs(latest.goroutines - last.goroutines);
  return moved >= MOVED_MIN && moved >= MOVED_SHARE * last.goroutines;
}
