/**
 * The footprint bench at production scale: a database prefilled with hours of history (the daemon
 * starts with full windows, as after an upgrade, not empty ones), real Go targets shared by many
 * service names, and the share of scheduled samples the daemon stored.
 */
import { Store } from '../../src/store/index.js';
import { SampleTable } from '../../src/store/samples.js';
import type { Sample } from '../../src/model/sample.js';
import { spreadOffset } from '../../src/daemon/scheduler.js';
import { startGoTarget, type GoTarget } from './go-target.js';

/** The cron expression of a period in whole seconds (1–59 s, or whole minutes). */
export function cronEvery(seconds: number): string {
  if (seconds === 1) return '* * * * * *';
  if (seconds < 60) return `*/${seconds} * * * * *`;
  return `0 */${Math.round(seconds / 60)} * * * *`;
}

/**
 * Every `minutes` minutes, the first due one 30–90 s after now + `startMs` (the daemon's start-up:
 * loading a prefilled database takes ~20–40 s, and a round due before the daemon runs is missed):
 * a 3-minute run sees one round of profile captures whatever the time it starts (a wall-clock
 * "every 5 min" may fall outside it).
 */
export function profileCron(minutes: number, now = Date.now(), startMs = 0): string {
  const first = new Date(now + startMs + 90_000).getUTCMinutes() % minutes;
  const list: number[] = [];
  for (let m = first; m < 60; m += minutes) list.push(m);
  return `0 ${list.join(',')} * * * *`;
}

/** MemStats the prefill imitates: the target's own, read once, so the first live sample continues the series. */
export interface MemStatsTemplate {
  heapAlloc: number;
  nextGC: number;
  sys: number;
  numGC: number;
  totalAlloc: number;
  pauseTotalNs: number;
}

export async function readTemplate(expvarUrl: string): Promise<MemStatsTemplate> {
  const m = ((await (await fetch(expvarUrl)).json()) as { memstats: Record<string, number> }).memstats;
  return { heapAlloc: m.HeapAlloc, nextGC: m.NextGC, sys: m.Sys, numGC: m.NumGC, totalAlloc: m.TotalAlloc, pauseTotalNs: m.PauseTotalNs };
}

/**
 * `hours` of samples per service at `periodMs`, ending now, one transaction per service (the
 * samples table only: through recordScrape, with a scrape-log row each, 1.44M samples took 330 s).
 * Counters climb to half the template's, so the live samples that follow do not look like a restart.
 */
export function prefill(dbPath: string, names: readonly string[], hours: number, periodMs: number, m: MemStatsTemplate, now = Date.now()): number {
  const store = Store.open(dbPath);
  const samples = new SampleTable(store.db);
  const idOf = store.db.prepare('SELECT id FROM services WHERE name = ?').pluck();
  const n = Math.floor((hours * 3_600_000) / periodMs);
  const end = Math.floor(now / periodMs) * periodMs;
  try {
    for (const [i, name] of names.entries()) {
      store.recordScrape(name, { at: end - n * periodMs, ok: true, durationMs: 2, failures: [] });
      const id = idOf.get(name) as number;
      store.db.transaction(() => {
        for (let k = 0; k < n; k++) {
          const t = end - (n - k) * periodMs + (i % 1000);
          const frac = (k + 1) / n;
          const saw = ((k + i) % 8) / 8;
          const sample: Sample = {
            t, heapAlloc: Math.round(m.heapAlloc * (0.6 + 0.4 * saw)), nextGC: m.nextGC, sys: m.sys,
            numGC: Math.floor(m.numGC * 0.5 * frac), totalAlloc: Math.floor(m.totalAlloc * 0.5 * frac),
            pauseTotalNs: Math.floor(m.pauseTotalNs * 0.5 * frac), goroutines: 10 + ((k * 7 + i) % 5),
          };
          samples.insert(id, sample);
        }
      })();
    }
    store.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    store.close();
  }
  return n * names.length;
}

/** `processes` real Go programs (test/go/target, steady mode), for many service names to share. */
export async function startGoTargets(processes: number): Promise<{ bases: string[]; stop(): Promise<void> }> {
  const started: GoTarget[] = [];
  try {
    for (let i = 0; i < processes; i++) started.push(await startGoTarget(['-mode', 'steady']));
  } catch (err) {
    await Promise.all(started.map((t) => t.stop()));
    throw err;
  }
  return { bases: started.map((t) => t.base), stop: async () => void (await Promise.all(started.map((t) => t.stop()))) };
}

/**
 * Samples stored in [from, to) against the scrapes the schedule asked for there (each service on
 * its spread phase, as the scheduler runs it), read from the daemon's database while it runs.
 */
/** Profiles stored between `from` and `to` (did a capture round land in the run?). */
export function storedProfiles(dbPath: string, window: { from: number; to: number }): number {
  const store = Store.open(dbPath);
  try {
    const row = store.db.prepare('SELECT count(*) AS n FROM profiles WHERE t >= ? AND t < ?').get(window.from, window.to) as { n: number };
    return row.n;
  } finally {
    store.close();
  }
}

export function storedSamples(dbPath: string, names: readonly string[], window: { from: number; to: number }, periodMs: number): { expected: number; stored: number } {
  const store = Store.open(dbPath);
  try {
    let expected = 0;
    let stored = 0;
    for (const name of names) {
      const phase = spreadOffset(`${name}/scrape`, periodMs);
      const firstDue = Math.ceil((window.from - phase) / periodMs) * periodMs + phase;
      const due = firstDue >= window.to ? 0 : Math.floor((window.to - 1 - firstDue) / periodMs) + 1;
      expected += due;
      // A sample is stamped when its scrape ran: within the period after its due time (timers may
      // fire a few ms early against the wall clock, as in scrapeTiming).
      stored += Math.min(due, store.samples(name, { from: firstDue - 50, to: firstDue + due * periodMs - 51 }).length);
    }
    return { expected, stored };
  } finally {
    store.close();
  }
}
