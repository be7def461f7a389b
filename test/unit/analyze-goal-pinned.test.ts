/**
 * goalPinned (goal.ts) asks whether a GOGC goal failed to follow a rising HeapAlloc floor. Its
 * Sen-bound fits run only when cheaper Theil–Sen slopes leave the answer open: those gates must be
 * exact. Checked against the same rule written without them, on floors that rise by 0–15 % under
 * goals that follow them by none to all of it (a limit's goal stands still, a GOGC goal follows).
 */
import { describe, expect, it } from 'vitest';
import { goalColumnsOf, goalPinned } from '../../src/analyze/goal.js';
import type { GoalFields } from '../../src/analyze/bucket-ring.js';
import { fitTrend, medianOf } from '../../src/analyze/trend.js';
import { Rng } from '../bench/simulate.js';

const MB = 1 << 20;

/** goalPinned's rule for goals read from goalLive, with every fit made (no gates). */
function reference(bs: GoalFields[]): boolean {
  const t = bs.map((b) => b.t), goals = bs.map((b) => b.goalLive), floors = bs.map((b) => b.cycleMin);
  const pinned = bs.filter((b) => b.cycleMin > 1.5 * b.goalLive).length;
  const still = Math.max(...goals) <= Math.min(...goals) * 1.002;
  const k = Math.floor(floors.length / 3);
  const span = t[t.length - 1] - t[0];
  const floorRise = (fitTrend(t, floors).lower * span) / medianOf(floors);
  const goal = fitTrend(t, goals);
  const staysUnder = medianOf(floors.slice(-k)) >= medianOf(floors.slice(0, k)) * 1.05 && floorRise >= 0.05 &&
    (Math.max(Math.abs(goal.upper), Math.abs(goal.lower)) * span) / medianOf(goals) < floorRise / 4;
  return (bs.length >= 12 && (still || staysUnder)) || pinned >= 0.3 * bs.length;
}

/** A floor flat until `hinge` (a share of the span), then rising by `rise` of its level; the goal follows by `follow` of that. */
function buckets(rng: Rng, rise: number, hinge: number, follow: number, noise: number): GoalFields[] {
  const n = 24 + Math.floor(rng.next() * 120);
  const floor0 = rng.range(50, 500) * MB, goal0 = floor0 * rng.range(0.6, 1.2);
  return Array.from({ length: n }, (_, i) => {
    const up = (rise * Math.max(0, i / n - hinge)) / (1 - hinge);
    return {
      t: i * 150_000, ratioMax: NaN, goalMin: NaN,
      cycleMin: floor0 * (1 + up + noise * (rng.next() - 0.5)),
      goalLive: goal0 * (1 + follow * up + noise * (rng.next() - 0.5)),
    };
  });
}

describe('goalPinned', () => {
  it('answers as the rule without its Theil–Sen gates, on both sides of each', () => {
    const rng = new Rng(17);
    const answers = { pinned: 0, free: 0 };
    for (let k = 0; k < 600; k++) {
      const bs = buckets(rng, rng.range(0, 0.2), k % 2 ? 0 : rng.range(0, 0.6), [0, 0.1, 0.2, 0.3, 0.5, 1][k % 6], rng.logRange(0.0003, 0.05));
      const want = reference(bs);
      expect(goalPinned(goalColumnsOf(bs), undefined), `case ${k}`).toBe(want);
      answers[want ? 'pinned' : 'free']++;
    }
    // Both answers occur often: the comparison says something about each gate.
    expect(answers.pinned).toBeGreaterThan(30);
    expect(answers.free).toBeGreaterThan(30);
  });
});
