/**
 * Issue 11, item 2: no flapping. The lifecycle table (pure), and the detector's persistence and
 * hold time on traces: an incident opens once, resolves only after growth has stayed stopped for
 * the hold time, and growth that resumes within the cooldown reopens it.
 */
import { describe, expect, it } from 'vitest';
import { Detector, holdTime, PERSIST } from '../../src/analyze/detector.js';
import { fineWidth } from '../../src/analyze/history.js';
import { judgeWindow } from '../../src/analyze/judge.js';
import { incidentEvents, type MetricAssessment } from '../../src/analyze/lifecycle.js';
import { replay } from '../../src/analyze/replay.js';
import type { Trend } from '../../src/model/trend.js';
import { Rng, T0, benchService } from '../bench/scenarios.js';
import type { Incident, Metric } from '../../src/model/incident.js';
import type { Sample } from '../../src/model/sample.js';

const HOUR = 3_600_000;
const MB = 1e6;
const trend: Trend = { slopePerHour: 5, lowerPerHour: 4, upperPerHour: 6, confidence: 0.999, current: 100, n: 40, timeToLimitHours: null };

function incident(id: number, metric: Metric, openedAt: number, resolvedAt: number | null = null): Incident {
  return {
    id, service: 's', metric, openedAt, resolvedAt, slopePerHour: 4, confidence: 0.99, current: 100, timeToLimitHours: null,
    topGrowth: [], topGoroutines: [], lastAlertAt: openedAt, ...(resolvedAt === null ? {} : { resolveReason: 'growth-stopped' as const }),
  };
}
const a = (metric: Metric, leaking: boolean, stopped: boolean): MetricAssessment => ({ metric, trend, leaking, stopped });
const ctx = { now: 10 * HOUR, lifetimeBegan: 0, cooldown: HOUR };

describe('incident lifecycle', () => {
  it.each([
    { desc: 'a new leak opens', as: [a('heap', true, false)], incs: [], want: ['open:heap'] },
    { desc: 'a leak resuming within the cooldown reopens the resolved incident', as: [a('heap', true, false)], incs: [incident(3, 'heap', 8 * HOUR, 9.5 * HOUR)], want: ['reopen:3'] },
    { desc: 'a leak resuming after the cooldown opens a new incident', as: [a('heap', true, false)], incs: [incident(3, 'heap', 7 * HOUR, 8.5 * HOUR)], want: ['open:heap'] },
    { desc: 'another metric resolved recently does not swallow a new leak', as: [a('rss', true, false)], incs: [incident(3, 'heap', 8 * HOUR, 9.5 * HOUR)], want: ['open:rss'] },
    { desc: 'growth stopped for the hold time resolves', as: [a('heap', false, true)], incs: [incident(4, 'heap', 8 * HOUR)], want: ['resolve:4'] },
    { desc: 'growth not stopped keeps the incident open and updates it', as: [a('heap', false, false)], incs: [incident(4, 'heap', 9.5 * HOUR)], want: ['update:4'] },
    { desc: 'a restart after the open resolves it', as: [a('heap', true, false)], incs: [incident(4, 'heap', 8 * HOUR)], ctx: { ...ctx, lifetimeBegan: 9 * HOUR }, want: ['resolve:4', 'open:heap'] },
    { desc: 'still leaking past the cooldown reminds', as: [a('heap', true, false)], incs: [incident(4, 'heap', 8 * HOUR)], want: ['update:4', 'remind:4'] },
  ])('$desc', ({ as, incs, want, ...rest }) => {
    const events = incidentEvents(as, incs, (rest as { ctx?: typeof ctx }).ctx ?? ctx);
    expect(events.map((e) => `${e.type}:${'incidentId' in e ? e.incidentId : e.metric}`)).toEqual(want);
  });
});

/** GOGC known, small noise, 15 s apart; live heap from `heap(h)`. */
function trace(hours: number, heap: (h: number) => number, seed = 1): Sample[] {
  const rng = new Rng(seed);
  const out: Sample[] = [];
  let numGC = 0;
  for (let t = T0; t <= T0 + hours * HOUR; t += 15_000) {
    numGC += 3;
    const live = heap((t - T0) / HOUR) * (1 + 0.001 * rng.normal());
    out.push({
      t, heapAlloc: Math.round(live * (1 + rng.next())), nextGC: Math.round(2 * live), gogc: 100, numGC,
      sys: Math.round(live * 2.3), rss: Math.round(live * 2.1 * (1 + 0.001 * rng.normal())), goroutines: 100, processStart: T0,
    });
  }
  return out;
}

describe('persistence and hold time', () => {
  const service = benchService('unit');
  const hold = holdTime(service, fineWidth(service.window));

  it('resolves only after growth has stayed stopped for the hold time (window/6)', () => {
    expect(hold).toBe(HOUR);
    // 5 %/h from 4 h to 8 h, then flat.
    const s = trace(12, (h) => 200 * MB * (1 + 0.05 * Math.min(Math.max(h - 4, 0), 4)));
    const incidents = replay(s, service).incidents;
    expect(incidents.map((i) => i.metric)).toEqual(['heap']);
    const resolved = Date.parse(incidents[0].resolvedAt!);
    expect(resolved).toBeGreaterThanOrEqual(T0 + 8 * HOUR + hold);
  });

  it('opens only once the leak verdict has held for 15 minutes (6 judgements at a 6 h window)', () => {
    // 5 %/h from 4 h on: each completed bucket is judged; the incident waits for the verdict to persist.
    const s = trace(9, (h) => 200 * MB * (1 + 0.05 * Math.max(h - 4, 0)));
    const d = new Detector(service);
    const leaking: { t: number; leaking: boolean }[] = [];
    let opened: number | undefined;
    let version = d.history.version;
    for (const x of s) {
      d.observe(x);
      const v = d.evaluate(x.t, []);
      if (d.history.version === version) continue;
      version = d.history.version;
      const life = d.history.lifetime!;
      const j = judgeWindow({ service, history: d.history, now: x.t, life, heapJudgeable: true, open: new Set(), trendFits: new Map() }, 'heap');
      leaking.push({ t: x.t, leaking: j?.leaking === true });
      if (v.events.some((e) => e.type === 'open' && e.metric === 'heap')) {
        opened = x.t;
        break;
      }
    }
    expect(opened).toBeDefined();
    // The judgements up to the open: the last PERSIST all said leak, one bucket apart, 15 minutes in all.
    const last = leaking.slice(-PERSIST);
    expect(last.every((j) => j.leaking)).toBe(true);
    expect(last[last.length - 1].t - last[0].t).toBe((PERSIST - 1) * fineWidth(service.window));
    expect(PERSIST * fineWidth(service.window)).toBe(15 * 60_000);
    // A verdict that first held fewer judgements before did not open anything: the open is at the PERSIST-th in a row.
    expect(leaking[leaking.length - 1 - PERSIST]?.leaking ?? false).toBe(false);
  });

  it('a pause shorter than the hold time does not resolve: one incident, still open', () => {
    // 5 %/h from 4 h, a 30-minute pause at 7 h, then the leak goes on.
    const grown = (h: number): number => Math.max(0, Math.min(h, 7) - 4) + Math.max(0, h - 7.5);
    const s = trace(10, (h) => 200 * MB * (1 + 0.05 * grown(h)));
    const incidents = replay(s, service).incidents;
    expect(incidents.map((i) => [i.metric, i.resolvedAt])).toEqual([['heap', null]]);
  });
});
