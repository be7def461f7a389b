import { describe, expect, it } from 'vitest';
import { LazyTrend, toTrend } from '../../src/analyze/assess.js';
import { fitTrend } from '../../src/analyze/trend.js';

describe('LazyTrend (a quiet metric\'s shown trend)', () => {
  const t = Array.from({ length: 40 }, (_, i) => i / 10);
  const v = t.map((x, i) => 100e6 + 2e6 * x + (i % 3) * 1e5);

  it('fits only when read, once, and reads as the trend it becomes, field by field and as JSON', () => {
    let fits = 0;
    const lazy = new LazyTrend(() => (fits++, fitTrend(t, v)), 108e6, 500e6);
    expect(fits).toBe(0);
    const eager = toTrend(fitTrend(t, v), 108e6, 500e6);
    expect({ slope: lazy.slopePerHour, lower: lazy.lowerPerHour, upper: lazy.upperPerHour, confidence: lazy.confidence, n: lazy.n, ttl: lazy.timeToLimitHours, limit: lazy.limit, current: lazy.current })
      .toEqual({ slope: eager.slopePerHour, lower: eager.lowerPerHour, upper: eager.upperPerHour, confidence: eager.confidence, n: eager.n, ttl: eager.timeToLimitHours, limit: 500e6, current: 108e6 });
    expect(JSON.parse(JSON.stringify({ heap: lazy }))).toEqual(JSON.parse(JSON.stringify({ heap: eager })));
    expect(fits).toBe(1);
  });

  it('has no limit without one, as toTrend', () => {
    const lazy = new LazyTrend(() => fitTrend(t, v), 108e6, undefined);
    expect(lazy.limit).toBeUndefined();
    expect(JSON.parse(JSON.stringify(lazy))).not.toHaveProperty('limit');
    expect(lazy.timeToLimitHours).toBeNull();
  });
});
