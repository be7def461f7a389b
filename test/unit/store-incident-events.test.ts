import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/db.js';
import { IncidentEvents, type AlertRows } from '../../src/store/incident-events.js';
import { IncidentAlreadyOpenError } from '../../src/store/incidents.js';
import type { Trend } from '../../src/model/trend.js';
import type { Incident } from '../../src/model/incident.js';

const trend = (over: Partial<Trend> = {}): Trend => ({
  slopePerHour: 12e6, lowerPerHour: 9e6, upperPerHour: 15e6, confidence: 0.999, current: 400e6, n: 72, timeToLimitHours: null, ...over,
});

/** A payload that shows what the row was rendered from. */
const alert = (channels: string[] = ['ops', 'mail']): AlertRows => ({
  channels,
  render: (kind, inc, seq) => JSON.stringify({ kind, seq, id: inc.id, current: inc.current, top: inc.topGrowth.map((g) => g.function) }),
});

let db: Database;
let events: IncidentEvents;
beforeEach(() => {
  db = openDatabase(':memory:');
  events = new IncidentEvents(db);
});
afterEach(() => db.close());

const rows = (id: number) => events.outbox.forIncident(id);
const payloads = (id: number) => rows(id).map((r) => JSON.parse(r.payload) as { kind: string; seq: number; top: string[]; current: number });
const claim = (now: number) => events.outbox.claimDue(now, 100, 'test-worker');

function addProfile(service: string): number {
  const sid = db.prepare('SELECT id FROM services WHERE name = ?').pluck().get(service);
  return Number(db.prepare(`INSERT INTO profiles (service_id, t, kind, data, size) VALUES (?, 1, 'heap', x'00', 1)`).run(sid).lastInsertRowid);
}

describe('IncidentEvents: an incident change and its alert rows in one transaction', () => {
  it('open writes the incident, marks it alerted and queues one held row per channel', () => {
    const inc = events.open('checkout', 'heap', trend(), 1000, undefined, alert(['ops', 'mail', 'ops']), 31_000);
    expect(events.incidents.get(inc.id)).toMatchObject({ resolvedAt: null, lastAlertAt: 1000 });
    expect(rows(inc.id).map((r) => [r.channel, r.eventKind, r.status, r.createdAt, r.nextAttemptAt])).toEqual([
      ['ops', 'open', 'pending', 1000, 31_000],
      ['mail', 'open', 'pending', 1000, 31_000],
    ]);
    expect(claim(30_999)).toEqual([]);
    expect(claim(31_000)).toHaveLength(2);
  });

  it('a failure anywhere in the event leaves nothing behind: no incident, no rows', () => {
    const broken: AlertRows = { channels: ['ops'], render: () => { throw new Error('cannot render'); } };
    expect(() => events.open('checkout', 'heap', trend(), 1000, undefined, broken)).toThrow(/^opening incident: cannot render$/);
    expect(events.incidents.listOpen()).toEqual([]);
    expect(events.outbox.depth()).toBe(0);
  });

  it('a second open of the same (service, metric) is refused and queues nothing', () => {
    const first = events.open('checkout', 'heap', trend(), 1000, undefined, alert());
    expect(() => events.open('checkout', 'heap', trend(), 2000, undefined, alert())).toThrow(IncidentAlreadyOpenError);
    expect(events.outbox.depth()).toBe(2);
    expect(events.incidents.listOpen().map((i) => i.id)).toEqual([first.id]);
  });

  it('attribution re-renders the held open rows with the growing functions and makes them due now', () => {
    const inc = events.open('checkout', 'heap', trend(), 1000, undefined, alert(), 31_000);
    expect(payloads(inc.id).map((p) => p.top)).toEqual([[], []]);
    const baseline = addProfile('checkout');
    const current = addProfile('checkout');
    const topGrowth = [{ function: 'main.leak', deltaBytes: 5e6, deltaObjects: 10 }];
    events.attributed(inc.id, { topGrowth, topGoroutines: [], baselineProfileId: baseline, currentProfileId: current }, 4000, alert());
    expect(payloads(inc.id).map((p) => p.top)).toEqual([['main.leak'], ['main.leak']]);
    expect(rows(inc.id).map((r) => r.nextAttemptAt)).toEqual([4000, 4000]);
    expect(events.incidents.get(inc.id)).toMatchObject({ topGrowth, baselineProfileId: baseline, currentProfileId: current });
    // The profiles the message names are pinned in the same transaction.
    expect(db.prepare('SELECT COUNT(*) FROM profile_pins').pluck().get()).toBe(2);
  });

  it('without an attribution the held rows go now, as written at open time', () => {
    const inc = events.open('checkout', 'heap', trend(), 1000, undefined, alert(), 31_000);
    const before = rows(inc.id).map((r) => r.payload);
    events.attributed(inc.id, undefined, 2000, alert());
    expect(rows(inc.id).map((r) => [r.payload, r.nextAttemptAt])).toEqual(before.map((p) => [p, 2000]));
  });

  it('an attribution that ends after the hold expired and the row was tried leaves that row alone', () => {
    const inc = events.open('checkout', 'heap', trend(), 1000, undefined, alert(['ops']), 2000);
    const [tried] = claim(2000);
    events.outbox.markSent(tried!.id, 2100);
    events.attributed(inc.id, { topGrowth: [{ function: 'main.leak', deltaBytes: 1, deltaObjects: 1 }], topGoroutines: [] }, 3000, alert(['ops']));
    expect(rows(inc.id)[0]).toMatchObject({ status: 'sent', payload: tried!.payload, nextAttemptAt: 2000 });
  });

  it('a reminder updates the trend, marks the incident alerted and is queued once per alert it follows', () => {
    const inc = events.open('checkout', 'heap', trend(), 1000, undefined, alert(['ops']));
    events.remind(inc.id, trend({ current: 500e6 }), 5000, alert(['ops']));
    events.remind(inc.id, trend({ current: 600e6 }), 9000, alert(['ops']));
    expect(events.incidents.get(inc.id)).toMatchObject({ lastAlertAt: 9000, current: 600e6 });
    expect(payloads(inc.id).map((p) => [p.kind, p.seq, p.current])).toEqual([['open', 0, 400e6], ['remind', 1000, 500e6], ['remind', 5000, 600e6]]);
  });

  it('resolve closes the incident with its rows; a second resolve, or a reminder after it, writes nothing', () => {
    const inc = events.open('checkout', 'heap', trend(), 1000, undefined, alert(['ops']));
    events.resolve(inc.id, 7000, 'growth-stopped', alert(['ops']));
    events.resolve(inc.id, 8000, 'restart', alert(['ops']));
    events.remind(inc.id, trend(), 9000, alert(['ops']));
    expect(events.incidents.get(inc.id)).toMatchObject({ resolvedAt: 7000, resolveReason: 'growth-stopped' });
    expect(rows(inc.id).map((r) => [r.eventKind, r.eventSeq])).toEqual([['open', 0], ['resolve', 7000]]);
  });

  it('a reopen makes the resolved incident open again with its announcement; a second resolve is its own event', () => {
    const inc = events.open('checkout', 'heap', trend(), 1000, undefined, alert(['ops']));
    events.resolve(inc.id, 5000, 'growth-stopped', alert(['ops']));
    events.reopen(inc.id, trend({ current: 700e6 }), 6000, alert(['ops']));
    events.reopen(inc.id, trend(), 6500, alert(['ops'])); // already open: nothing
    expect(events.incidents.get(inc.id)).toMatchObject({ resolvedAt: null, lastAlertAt: 6000, current: 700e6 });
    events.resolve(inc.id, 9000, 'growth-stopped', alert(['ops']));
    expect(rows(inc.id).map((r) => [r.eventKind, r.eventSeq])).toEqual([['open', 0], ['resolve', 5000], ['remind', 1000], ['resolve', 9000]]);
    expect(payloads(inc.id)[2]).toMatchObject({ kind: 'remind', current: 700e6 });
  });

  it('a service without channels still records the incident (and when it was announced), with no rows', () => {
    const inc = events.open('checkout', 'heap', trend(), 1000, undefined, alert([]));
    events.resolve(inc.id, 2000, 'restart', alert([]));
    expect(events.incidents.get(inc.id)).toMatchObject({ lastAlertAt: 1000, resolvedAt: 2000 });
    expect(events.outbox.depth()).toBe(0);
  });
});

describe('outbox order per incident and channel', () => {
  it('a resolve is not claimable while its open is held, retrying or being sent', () => {
    const inc: Incident = events.open('checkout', 'heap', trend(), 1000, undefined, alert(['ops']), 30_000);
    const other = events.open('billing', 'heap', trend(), 1000, undefined, alert(['ops']));
    events.resolve(inc.id, 2000, 'restart', alert(['ops']));
    // Held open: neither it nor its resolve goes; the other incident is not blocked.
    expect(claim(3000).map((r) => [r.incidentId, r.eventKind])).toEqual([[other.id, 'open']]);
    const [open] = claim(30_000);
    expect(open).toMatchObject({ incidentId: inc.id, eventKind: 'open' });
    expect(claim(30_000)).toEqual([]); // open in flight
    events.outbox.reschedule(open!.id, 'test-worker', 40_000, 'HTTP 503');
    expect(claim(39_999)).toEqual([]); // open waiting to retry
    const [retry] = claim(40_000);
    events.outbox.markSent(retry!.id, 40_001);
    expect(claim(40_001).map((r) => r.eventKind)).toEqual(['resolve']);
  });

  it('the order is per channel: a slow channel does not hold back another', () => {
    const inc = events.open('checkout', 'heap', trend(), 1000, undefined, alert(['ops', 'mail']));
    events.resolve(inc.id, 2000, 'restart', alert(['ops', 'mail']));
    const opens = claim(3000);
    expect(opens.map((r) => r.channel)).toEqual(['ops', 'mail']);
    events.outbox.markSent(opens[0]!.id, 3001);
    expect(events.outbox.announced(inc.id, 'ops')).toBe(true);
    expect(events.outbox.announced(inc.id, 'mail')).toBe(false);
    expect(claim(3002).map((r) => [r.channel, r.eventKind])).toEqual([['ops', 'resolve']]);
  });
});
