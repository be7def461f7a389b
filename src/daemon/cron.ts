/**
 * Cron fire times in local time, and a ticker that fires on them. The expression is read by
 * node-cron's own `parse` (the syntax and the config's validation stay node-cron's: names,
 * steps, `L`, `W`, `#`, nicknames); the fire times are found here with Date's local-time fields.
 *
 * Why not node-cron's scheduler: it finds every match by formatting dates through
 * Intl.DateTimeFormat, and the first Intl use in a process maps ICU's locale and time-zone data
 * and code, ~8 MB of RSS that stays (a bare Node 20 goes from 42 to 50 MB; the daemon at 200
 * services on a 1 s schedule from ~101 MB). Date's local fields read the zone without them.
 * Pure but for CronTicker's timer.
 */
import { parse } from 'node-cron';

const SECOND = 1000;
/** A match is looked for this far ahead at most (node-cron's limit too). */
const HORIZON_MS = 100 * 366 * 24 * 3_600_000;

type Field = (number | string)[];

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The weekday nearest `target` in its month (`15W`): Saturday moves back, Sunday forward, within the month. */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDayOfMonth(year, month);
  if (target < 1 || target > last) return -1;
  const w = weekdayOf(year, month, target);
  if (w === 6) return target === 1 ? target + 2 : target - 1;
  if (w === 0) return target === last ? target - 2 : target + 1;
  return target;
}

/** Day of month: numbers, `L` (last day), `nW`/`LW` (nearest weekday), `L-n` (n days before the last). */
function matchesDayOfMonth(field: Field, year: number, month: number, day: number): boolean {
  for (const v of field) {
    if (v === day) return true;
    if (typeof v !== 'string') continue;
    const last = lastDayOfMonth(year, month);
    if (v === 'L' && day === last) return true;
    const w = /^(\d{1,2}|L)W$/.exec(v);
    if (w && nearestWeekday(year, month, w[1] === 'L' ? last : Number(w[1])) === day) return true;
    const before = /^L-(\d{1,2})$/.exec(v);
    if (before && last - Number(before[1]) === day) return true;
  }
  return false;
}

/** Day of week (0 = Sunday): numbers, `d#n` (the nth such day of the month), `dL` (the last one). */
function matchesDayOfWeek(field: Field, year: number, month: number, day: number): boolean {
  const weekday = weekdayOf(year, month, day);
  for (const v of field) {
    if (v === weekday) return true;
    if (typeof v !== 'string') continue;
    const nth = /^([0-7])#([1-5])$/.exec(v);
    if (nth && Number(nth[1]) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number(nth[2])) return true;
    const last = /^([0-7])L$/i.exec(v);
    if (last && Number(last[1]) % 7 === weekday && day + 7 > lastDayOfMonth(year, month)) return true;
  }
  return false;
}

/** A cron expression's fire times (node-cron syntax, five fields or six with seconds first). */
export class CronExpr {
  private readonly seconds: Set<number>;
  private readonly minutes: Set<number>;
  private readonly hours: Set<number>;
  private readonly months: Set<number>;
  private readonly daysOfMonth: Field;
  private readonly daysOfWeek: Field;

  constructor(readonly expression: string) {
    const f = parse(expression);
    const numbers = (xs: Field) => new Set(xs.filter((x): x is number => typeof x === 'number'));
    this.seconds = numbers(f.second);
    this.minutes = numbers(f.minute);
    this.hours = numbers(f.hour);
    this.months = numbers(f.month);
    this.daysOfMonth = f.dayOfMonth;
    this.daysOfWeek = f.dayOfWeek;
  }

  /**
   * The first fire time strictly after `after` (Unix ms; fire times are whole seconds). A time of
   * day inside the hour repeated when clocks go back fires in both passes (node-cron: once).
   */
  next(after: number): number {
    let t = Math.floor(after / SECOND) * SECOND + SECOND;
    while (t - after < HORIZON_MS) {
      const d = new Date(t);
      const y = d.getFullYear(), mo = d.getMonth(), day = d.getDate(), h = d.getHours(), mi = d.getMinutes();
      // Jump to the start of the next month, day, hour or minute when this one cannot match. A
      // jump never goes back (an hour repeated when clocks go back): then one second forward.
      let jump: number;
      if (!this.months.has(mo + 1)) jump = new Date(y, mo + 1, 1).getTime();
      else if (!matchesDayOfMonth(this.daysOfMonth, y, mo + 1, day) || !matchesDayOfWeek(this.daysOfWeek, y, mo + 1, day)) jump = new Date(y, mo, day + 1).getTime();
      else if (!this.hours.has(h)) jump = new Date(y, mo, day, h + 1).getTime();
      else if (!this.minutes.has(mi)) jump = new Date(y, mo, day, h, mi + 1).getTime();
      else if (!this.seconds.has(d.getSeconds())) jump = t + SECOND;
      else return t;
      t = Math.max(jump, t + SECOND);
    }
    throw new Error(`cron expression "${this.expression}" has no fire time within 100 years`);
  }
}

/**
 * What a ticker does when it wakes at `now`, its next slot being `expected`: the slot to run (if
 * it is at most `toleranceMs` late and before the slot after it), how many slots passed unrun
 * (the event loop was blocked), and the slot to wait for next. node-cron's rule, 1 s tolerance.
 */
export function planBeat(expected: number, now: number, toleranceMs: number, next: (t: number) => number): { run?: number; missed: number; next: number } {
  let slot = expected;
  let missed = 0;
  for (;;) {
    if (now < slot) return { missed, next: slot };
    const after = next(slot);
    const lateBy = now - slot;
    if (lateBy <= toleranceMs && lateBy < after - slot) return { run: slot, missed, next: after };
    missed++;
    slot = after;
  }
}

/** Longest single wait: a timer cannot wait more than ~24.8 days, and a long wait is re-planned. */
const MAX_WAIT_MS = 3_600_000;

/** Calls `onTick(slot)` on each fire time of `cron`, and `onMissed(n)` for slots a blocked loop let pass. */
export class CronTicker {
  private timer: NodeJS.Timeout | null = null;
  private expected = NaN;

  constructor(
    readonly cron: CronExpr,
    private readonly onTick: (slot: number) => void,
    private readonly onMissed: (count: number) => void,
    private readonly toleranceMs = SECOND,
  ) {}

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer) return;
    this.expected = this.cron.next(Date.now());
    this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.timer = setTimeout(() => this.beat(), Math.min(MAX_WAIT_MS, Math.max(0, this.expected - Date.now())));
  }

  private beat(): void {
    const plan = planBeat(this.expected, Date.now(), this.toleranceMs, (t) => this.cron.next(t));
    this.expected = plan.next;
    this.arm();
    if (plan.missed > 0) this.onMissed(plan.missed);
    if (plan.run !== undefined) this.onTick(plan.run);
  }
}
