import { describe, expect, it } from 'vitest';
import { roundKinds, type GoroutineMark } from '../../src/collect/profile-round.js';

const MIN = 60_000;
const window = 6 * 60 * MIN;
const mark: GoroutineMark = { at: 0, goroutines: 2000, processStart: 1 };

describe('a scheduled profile round', () => {
  const cases: [string, GoroutineMark | undefined, number, { goroutines?: number; processStart?: number } | undefined, string[]][] = [
    ['the first round of the daemon', undefined, 0, { goroutines: 2000, processStart: 1 }, ['heap', 'goroutine']],
    ['5 min later, the count steady', mark, 5 * MIN, { goroutines: 2050, processStart: 1 }, ['heap']],
    ['85 min later, still steady', mark, 85 * MIN, { goroutines: 1990, processStart: 1 }, ['heap']],
    ['a quarter of a 6-h window later', mark, 90 * MIN, { goroutines: 2000, processStart: 1 }, ['heap', 'goroutine']],
    ['the count up by a tenth', mark, 5 * MIN, { goroutines: 2200, processStart: 1 }, ['heap', 'goroutine']],
    ['the count down by a tenth', mark, 5 * MIN, { goroutines: 1800, processStart: 1 }, ['heap', 'goroutine']],
    ['a small program up by 5 goroutines (half its count, under 10)', { ...mark, goroutines: 10 }, 5 * MIN, { goroutines: 15, processStart: 1 }, ['heap']],
    ['the process restarted', mark, 5 * MIN, { goroutines: 2000, processStart: 2 }, ['heap', 'goroutine']],
    ['no sample yet', mark, 5 * MIN, undefined, ['heap', 'goroutine']],
    ['no goroutine count in the samples', mark, 5 * MIN, { processStart: 1 }, ['heap', 'goroutine']],
  ];
  for (const [name, last, now, latest, kinds] of cases) {
    it(`${name}: ${kinds.join(' + ')}`, () => {
      expect(roundKinds(last, now, latest, window)).toEqual(kinds);
    });
  }
});
