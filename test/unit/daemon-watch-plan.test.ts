/** ServiceWatch's planner: a verdict and what was already done → the actions, in order. A table. */
import { describe, expect, it } from 'vitest';
import { planActions, planResolveAll, type PlanInput, type WatchAction } from '../../src/daemon/watch-plan.js';
import type { Trend } from '../../src/model/trend.js';

const trend = (over: Partial<Trend> = {}): Trend => ({
  slopePerHour: 12e6, lowerPerHour: 9e6, upperPerHour: 15e6, confidence: 0.999, current: 400e6, n: 72, timeToLimitHours: null, ...over,
});
const NOW = 1_000_000;
const LIFE = 400_000;
const withPprof = { pprof: 'http://127.0.0.1:6060/debug/pprof', attributionWait: 30_000, lastGasp: 30 * 60_000 };
const noPprof = { pprof: undefined, attributionWait: 30_000, lastGasp: 30 * 60_000 };
const soon = trend({ timeToLimitHours: 0.25 }); // 15 minutes to the limit

const cases: { name: string; input: Partial<PlanInput>; want: WatchAction[] }[] = [
  { name: 'a quiet verdict does nothing', input: {}, want: [] },
  {
    name: 'open with pprof: alert held for attribution, then wake the outbox',
    input: { verdict: { events: [{ type: 'open', metric: 'heap', trend: trend(), note: 'n' }], trends: {} } },
    want: [{ type: 'open', metric: 'heap', trend: trend(), note: 'n', holdUntil: NOW + 30_000, attribute: true }, { type: 'alert' }],
  },
  {
    name: 'open without pprof: nothing to attribute, the alert is due now',
    input: { service: noPprof, verdict: { events: [{ type: 'open', metric: 'goroutines', trend: trend() }], trends: {} } },
    want: [{ type: 'open', metric: 'goroutines', trend: trend(), note: undefined, holdUntil: NOW, attribute: false }, { type: 'alert' }],
  },
  {
    name: 'update stores the trend and alerts no one',
    input: { verdict: { events: [{ type: 'update', incidentId: 7, trend: trend() }], trends: {} } },
    want: [{ type: 'update', incidentId: 7, trend: trend() }],
  },
  {
    name: 'update then remind (cooldown over): one wake, after the reminder',
    input: { verdict: { events: [{ type: 'update', incidentId: 7, trend: trend() }, { type: 'remind', incidentId: 7, trend: trend() }], trends: {} } },
    want: [{ type: 'update', incidentId: 7, trend: trend() }, { type: 'remind', incidentId: 7, trend: trend() }, { type: 'alert' }],
  },
  {
    name: 'reopen within the cooldown',
    input: { verdict: { events: [{ type: 'reopen', incidentId: 3, trend: trend() }], trends: {} } },
    want: [{ type: 'reopen', incidentId: 3, trend: trend() }, { type: 'alert' }],
  },
  {
    name: 'a restart resolves the old incident before a new one opens; each wakes the outbox at once',
    input: { verdict: { events: [{ type: 'resolve', incidentId: 3, reason: 'restart' }, { type: 'open', metric: 'heap', trend: trend() }], trends: {} } },
    want: [
      { type: 'resolve', incidentId: 3, reason: 'restart' }, { type: 'alert' },
      { type: 'open', metric: 'heap', trend: trend(), note: undefined, holdUntil: NOW + 30_000, attribute: true }, { type: 'alert' },
    ],
  },
  {
    name: 'a metric within lastGasp of its limit: a capture after the incident actions',
    input: { verdict: { events: [{ type: 'update', incidentId: 7, trend: soon }], trends: { heap: soon } } },
    want: [{ type: 'update', incidentId: 7, trend: soon }, { type: 'capture', why: 'last-gasp', metric: 'heap', key: `${LIFE}:heap`, timeToLimitMinutes: 15 }],
  },
  {
    name: 'one last-gasp capture per metric and lifetime',
    input: { verdict: { events: [], trends: { heap: soon, rss: soon } }, lastGaspTaken: new Set([`${LIFE}:heap`]) },
    want: [{ type: 'capture', why: 'last-gasp', metric: 'rss', key: `${LIFE}:rss`, timeToLimitMinutes: 15 }],
  },
  {
    name: 'no last-gasp capture when the limit is beyond lastGasp, the floor is falling, or there is no pprof',
    input: { verdict: { events: [], trends: { heap: trend({ timeToLimitHours: 0.6 }), rss: trend({ timeToLimitHours: 0.1, slopePerHour: -1 }), sys: trend() } } },
    want: [],
  },
  { name: 'no pprof, no capture', input: { service: noPprof, verdict: { events: [], trends: { heap: soon } } }, want: [] },
  { name: 'lastGasp 0 turns captures off', input: { service: { ...withPprof, lastGasp: 0 }, verdict: { events: [], trends: { heap: soon } } }, want: [] },
];

describe('planActions', () => {
  it.each(cases)('$name', ({ input, want }) => {
    const full: PlanInput = { now: NOW, verdict: { events: [], trends: {} }, service: withPprof, lifetimeStart: LIFE, lastGaspTaken: new Set(), ...input };
    expect(planActions(full)).toEqual(want);
  });
});

describe('planResolveAll (a service gone from the fleet)', () => {
  it('resolves each open incident, then wakes the outbox once', () => {
    expect(planResolveAll([{ id: 1 }, { id: 2 }], 'gone')).toEqual([
      { type: 'resolve', incidentId: 1, reason: 'gone' }, { type: 'resolve', incidentId: 2, reason: 'gone' }, { type: 'alert' },
    ]);
  });
  it('does nothing without open incidents', () => expect(planResolveAll([], 'gone')).toEqual([]));
});
