/**
 * Two peer rules run on the same traces as the detector, so the bench table compares like for
 * like. Both are what people deploy today:
 *
 *  - Prometheus: `deriv(go_memstats_heap_alloc_bytes[1h]) > X` with `for: 15m`, X the same
 *    relative threshold as leakwatch's heapGrowth applied to the service's normal heap, evaluated
 *    every scrape (15 s);
 *  - Coroot-style: least-squares slope of RSS over the detector's window (at least 1 h of data)
 *    above the same rssGrowth threshold of the current RSS, evaluated every minute.
 *
 * A rule "opens" an incident each time it starts firing and "resolves" it when it stops.
 */
import type { Metric } from '../../src/model/incident.js';
import type { Sample } from '../../src/model/sample.js';
import type { Scenario } from './scenarios.js';

export interface PeerOpen {
  metric: Metric;
  at: number;
  /** When the rule stopped firing (undefined while it still fires at the end of the trace). */
  until?: number;
}

export interface PeerRule {
  name: string;
  run: (sc: Scenario) => PeerOpen[];
}

const HOUR = 3_600_000;

/** Sliding least-squares slope (per hour) over samples of one field in (now − span, now]. */
class SlidingSlope {
  private n = 0;
  private st = 0;
  private sv = 0;
  private stt = 0;
  private stv = 0;
  private lo = 0;
  private hi = 0;

  constructor(private readonly samples: readonly Sample[], private readonly value: (s: Sample) => number | undefined, private readonly span: number, private readonly origin: number) {}

  private add(s: Sample, sign: number): void {
    const v = this.value(s);
    if (v === undefined) return;
    const t = (s.t - this.origin) / HOUR;
    const y = v / 1e6;
    this.n += sign;
    this.st += sign * t;
    this.sv += sign * y;
    this.stt += sign * t * t;
    this.stv += sign * t * y;
  }

  /** Advances to sample i (inclusive) and returns the slope in value units per hour, or undefined. */
  at(i: number): { slope: number; spanHours: number } | undefined {
    while (this.hi <= i) this.add(this.samples[this.hi++], 1);
    const now = this.samples[i].t;
    while (this.samples[this.lo].t <= now - this.span) this.add(this.samples[this.lo++], -1);
    const den = this.n * this.stt - this.st * this.st;
    if (this.n < 3 || den <= 0) return undefined;
    return { slope: ((this.n * this.stv - this.st * this.sv) / den) * 1e6, spanHours: (now - this.samples[this.lo].t) / HOUR };
  }
}

function percent(sc: Scenario, key: 'heapGrowth' | 'rssGrowth'): number {
  const r = sc.service.thresholds[key];
  return r && r.unit === 'percent' ? r.value / 100 : 0.01;
}

export const promDeriv: PeerRule = {
  name: 'prometheus deriv(heap_alloc[1h]) for 15m',
  run(sc) {
    const x = percent(sc, 'heapGrowth') * sc.baseHeap;
    const slope = new SlidingSlope(sc.samples, (s) => s.heapAlloc, HOUR, sc.samples[0].t);
    const opens: PeerOpen[] = [];
    let pendingSince: number | null = null;
    let firing = false;
    for (let i = 0; i < sc.samples.length; i++) {
      const now = sc.samples[i].t;
      const d = slope.at(i);
      if (d !== undefined && d.slope > x) {
        pendingSince ??= now;
        if (!firing && now - pendingSince >= 15 * 60_000) {
          firing = true;
          opens.push({ metric: 'heap', at: now });
        }
      } else {
        if (firing) opens[opens.length - 1].until = now;
        pendingSince = null;
        firing = false;
      }
    }
    return opens;
  },
};

export const corootRss: PeerRule = {
  name: 'coroot-style RSS least-squares slope over window',
  run(sc) {
    const pct = percent(sc, 'rssGrowth');
    const slope = new SlidingSlope(sc.samples, (s) => s.rss, sc.service.window, sc.samples[0].t);
    const opens: PeerOpen[] = [];
    let firing = false;
    for (let i = 0; i < sc.samples.length; i += 4) {
      const d = slope.at(i);
      const rss = sc.samples[i].rss ?? 0;
      const on = d !== undefined && d.spanHours >= 1 && d.slope > pct * rss;
      if (on && !firing) opens.push({ metric: 'rss', at: sc.samples[i].t });
      if (!on && firing) opens[opens.length - 1].until = sc.samples[i].t;
      firing = on;
    }
    return opens;
  },
};

export const PEERS: PeerRule[] = [promDeriv, corootRss];
