/**
 * The GC goal read off a lifetime's buckets (buckets.ts folds them): 1+GOGC/100 where the
 * service does not tell it, whether a memory limit pins the goal, and from both the heap floor
 * of each bucket. Pure.
 *
 * The buckets are read column by column (GoalColumns): History asks again at every completed
 * bucket, over the last window of them (4,032 times in a 7-day replay), and fills the columns
 * from its ring in place, where it made an object per bucket and three lists per question.
 */
import { medianOf } from './assess.js';
import type { GoalFields, HeapFloors } from './bucket-ring.js';
import { fitTrend, theilSen, theilSenCeiling } from './trend.js';

/** What the goal's checks read of `length` buckets, oldest first: one array per field, room for more. */
export interface GoalColumns {
  length: number;
  t: Float64Array;
  ratioMax: Float64Array;
  goalLive: Float64Array;
  cycleMin: Float64Array;
  goalMin: Float64Array;
}

/** Empty columns with room for `n` buckets. */
export function goalColumns(n: number): GoalColumns {
  const col = (): Float64Array => new Float64Array(n);
  return { length: 0, t: col(), ratioMax: col(), goalLive: col(), cycleMin: col(), goalMin: col() };
}

/** Appends one bucket's fields (the columns must have room). */
export function addGoalFields(c: GoalColumns, b: GoalFields): void {
  const k = c.length++;
  c.t[k] = b.t;
  c.ratioMax[k] = b.ratioMax;
  c.goalLive[k] = b.goalLive;
  c.cycleMin[k] = b.cycleMin;
  c.goalMin[k] = b.goalMin;
}

/** The columns of a list of buckets (floorSeries, tests). */
export function goalColumnsOf(buckets: readonly GoalFields[]): GoalColumns {
  const c = goalColumns(buckets.length);
  for (const b of buckets) addGoalFields(c, b);
  return c;
}

/**
 * Working arrays, reused from call to call (History asks at every completed bucket): each call
 * fills what it reads before reading it, and nothing keeps them past the call.
 */
const scratch = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];

/** Scratch array `k`, at least `n` long. */
function scratchOf(k: number, n: number): Float64Array {
  if (scratch[k].length < n) scratch[k] = new Float64Array(2 * n);
  return scratch[k];
}

/**
 * Most services never tell their GOGC. Estimate 1+GOGC/100 as a high quantile of the buckets'
 * best NextGC/HeapAlloc ratios (a sample just after a GC sees the full ratio), snapped to steps
 * of 5 GOGC points so it stays put from one bucket to the next.
 */
export function estimateGoalRatio(c: GoalColumns): number | undefined {
  const seen = scratchOf(0, c.length);
  let n = 0;
  for (let i = 0; i < c.length; i++) if (c.ratioMax[i] > 1) seen[n++] = c.ratioMax[i];
  if (n < 3) return undefined;
  const ratios = seen.subarray(0, n).sort();
  const q = ratios[Math.floor(0.9 * (n - 1))];
  return 1 + Math.round((q - 1) * 20) / 20;
}

/**
 * The heap floor of a bucket: the GOGC goal's live heap where it is trustworthy, else the
 * per-cycle HeapAlloc minimum (less what was allocated since the cycle's GC ended, where LastGC
 * tells: buckets.ts, heapLeftByGC). A goal-derived floor far below the HeapAlloc floor means a limit
 * pins the goal (GOMEMLIMIT we were not told about) — when it happens in many buckets (`pinned`),
 * the HeapAlloc minimum is the floor in every bucket of the lifetime; in one bucket alone it is a
 * scrape period in step with the GC period, every scrape late in its cycle. Without `pinned`
 * (a lone bucket), the bucket decides for itself.
 */
export function heapFloor(b: HeapFloors, ratio: number | undefined, pinned?: boolean): number {
  const goal = goalFloor(b.goalLive, b.goalMin, ratio);
  const cycle = b.cycleMin;
  if (Number.isNaN(goal)) return b.cycleLive;
  if (Number.isNaN(cycle)) return goal;
  // A limit that pins the goal in many buckets pins it in all: the goal says nothing of the live
  // heap there, even in a bucket whose HeapAlloc minimum happens to come close to it. Whether it
  // pins is read from HeapAlloc as it is (a limit lifts it that far above the goal's live heap;
  // the heap the GC left, the floor, stays closer); the floor is what the GC left.
  if (pinned ?? pinnedGoal(cycle, goal)) return b.cycleLive;
  return goal;
}

function goalFloor(goalLive: number, goalMin: number, ratio: number | undefined): number {
  return !Number.isNaN(goalLive) ? goalLive : ratio !== undefined && !Number.isNaN(goalMin) ? goalMin / ratio : NaN;
}

function pinnedGoal(cycleMin: number, goal: number): boolean {
  return cycleMin > 1.5 * goal;
}

/** Rise of the HeapAlloc floor, as a share of its level, that a GOGC goal follows and a limit's does not. */
const FLOOR_RISE = 0.05;
/** Buckets a goal must stay put over before its stillness says "limit" (half an hour at a 6 h window). */
const STILL_BUCKETS = 12;
/** Spread (most/least − 1) within which a goal stands still: a GOGC goal moves more, each cycle marking a different heap. */
const STILL_SPREAD = 0.002;

/**
 * Whether a limit pins the goal: at least 30 % of the buckets show a goal pinned below their
 * HeapAlloc floor, or, over STILL_BUCKETS or more, the goal has not moved at all (within
 * STILL_SPREAD) or has not followed the HeapAlloc floor rising under it. A GOGC goal follows the
 * heap each cycle marks, so one that stands still is a limit's (GOMEMLIMIT we were not told about),
 * and a goal-derived floor would read a leak under it as a flat heap.
 */
export function goalPinned(c: GoalColumns, ratio: number | undefined): boolean {
  let pinned = 0, most = -Infinity, least = Infinity, seen = 0;
  const [t, goals, floors] = [scratchOf(0, c.length), scratchOf(1, c.length), scratchOf(2, c.length)];
  for (let i = 0; i < c.length; i++) {
    const goal = goalFloor(c.goalLive[i], c.goalMin[i], ratio);
    const floor = c.cycleMin[i];
    if (Number.isNaN(goal) || Number.isNaN(floor)) continue;
    if (pinnedGoal(floor, goal)) pinned++;
    most = Math.max(most, goal);
    least = Math.min(least, goal);
    t[seen] = c.t[i];
    goals[seen] = goal;
    floors[seen++] = floor;
  }
  if (seen >= STILL_BUCKETS && (most <= least * (1 + STILL_SPREAD) || goalStaysUnderRise(t.subarray(0, seen), goals.subarray(0, seen), floors.subarray(0, seen)))) return true;
  return seen > 0 && pinned >= 0.3 * seen;
}

/**
 * The HeapAlloc floor rose by FLOOR_RISE or more of its level (its Sen line's lower bound) while the
 * goal's line, either bound, moved by under a quarter as much: a GOGC goal would have followed.
 * Bounds, not points, so a goal's jitter and a noisy floor do not count. The fits with their rank
 * tests run only when the floor's thirds, the Theil–Sen slopes (Sen's bounds lie either side) and the
 * ceiling on the floor's bound (trend.ts, theilSenCeiling) leave it open.
 */
function goalStaysUnderRise(t: Float64Array, goals: Float64Array, floors: Float64Array): boolean {
  const k = Math.floor(floors.length / 3);
  if (!(medianOf(floors, floors.length - k) >= medianOf(floors, 0, k) * (1 + FLOOR_RISE))) return false;
  const span = t[t.length - 1] - t[0];
  const level = medianOf(floors);
  const floor = theilSenCeiling(t, floors);
  if (level > 0 && (floor.slope * span) / level < FLOOR_RISE) return false;
  // The fit's lower bound is at most the ceiling: where that is under the rise, so is the bound
  // (rounding is monotonic), and the fit need not be made (a steady week's floors stop here).
  if (level > 0 && span > 0 && (floor.lowerAtMost * span) / level < FLOOR_RISE) return false;
  const floorRise = (fitTrend(t, floors).lower * span) / level;
  if (floorRise < FLOOR_RISE) return false;
  const goalLevel = medianOf(goals);
  if (goalLevel > 0 && (Math.abs(theilSen(t, goals)) * span) / goalLevel >= floorRise / 4) return false;
  const goal = fitTrend(t, goals);
  return (Math.max(Math.abs(goal.upper), Math.abs(goal.lower)) * span) / goalLevel < floorRise / 4;
}
