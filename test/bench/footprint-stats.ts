/** Pure arithmetic for the footprint bench: /proc parsing, percentiles, slopes, scrape timing. */

export interface ProcStat {
  /** user + system CPU, in clock ticks. */
  cpuTicks: number;
}

/** /proc/<pid>/stat: the command name may hold spaces and parentheses, so fields count from the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('parsing /proc stat: no ")" after the command name');
  const f = text.slice(close + 2).trim().split(/\s+/);
  // f[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('parsing /proc stat: utime/stime missing');
  return { cpuTicks: utime + stime };
}

/** VmRSS and VmHWM (peak) from /proc/<pid>/status, in bytes. */
export function parseProcStatus(text: string): { rss: number; hwm: number } {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!m) throw new Error(`parsing /proc status: no ${key}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Ordinary least-squares slope of y over x; NaN with fewer than two distinct x. */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

/**
 * Slope of the per-bucket minima: a garbage-collected heap saws between collections, and only its
 * floor says whether live memory grows (the same reasoning leakwatch applies to Go heaps).
 */
export function floorSlope(points: readonly { x: number; y: number }[], bucket: number): number {
  const minima = new Map<number, { x: number; y: number }>();
  for (const p of points) {
    const k = Math.floor(p.x / bucket);
    const m = minima.get(k);
    if (!m || p.y < m.y) minima.set(k, p);
  }
  return leastSquaresSlope([...minima.values()]);
}

export interface ScrapeTiming {
  /** Delay of each scrape behind its due time, ms. */
  lagsMs: number[];
  /** Scrapes the schedule asked for in the window, summed over targets. */
  expected: number;
  /** Scrapes that never arrived (per target, expected minus arrived, floored at 0). */
  missed: number;
}

/**
 * Scrape lag and misses seen from the targets: with a period P and a per-target phase (the
 * scheduler's spread offset), a scrape arriving at `at` was due at the latest tick + phase before
 * it, so its lag is (at - phase) mod P. Lags of a period or more show up as misses instead.
 * Timers run on the monotonic clock while arrivals are stamped with the wall clock, so a scrape may
 * seem to arrive a few ms before it was due: up to `earlyMs` early counts as a negative lag.
 */
export function scrapeTiming(
  arrivalsByTarget: readonly { phaseMs: number; arrivals: readonly number[] }[],
  window: { from: number; to: number },
  periodMs: number,
  earlyMs = 50,
): ScrapeTiming {
  const lagsMs: number[] = [];
  let expected = 0;
  let missed = 0;
  for (const t of arrivalsByTarget) {
    // Due times inside the window: from + k*P aligned to the phase. An arrival before the next
    // due time after the last one still answers the last one.
    const firstDue = Math.ceil((window.from - t.phaseMs) / periodMs) * periodMs + t.phaseMs;
    const due = firstDue >= window.to ? 0 : Math.floor((window.to - 1 - firstDue) / periodMs) + 1;
    if (due === 0) continue;
    const end = firstDue + due * periodMs;
    const inWindow = t.arrivals.filter((a) => a >= firstDue - earlyMs && a < end - earlyMs);
    for (const a of inWindow) {
      const lag = (((a - t.phaseMs) % periodMs) + periodMs) % periodMs;
      lagsMs.push(lag >= periodMs - earlyMs ? lag - periodMs : lag);
    }
    expected += due;
    missed += Math.max(0, due - inWindow.length);
  }
  return { lagsMs, expected, missed };
}

/** Sums every sample of a metric family in Prometheus text, optionally filtered by a label. */
export function sumMetric(text: string, name: string, label?: { key: string; value: string }): number {
  let sum = 0;
  const re = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) {
    if (label && !(m[1] ?? '').includes(`${label.key}="${label.value}"`)) continue;
    sum += Number(m[2]);
  }
  return sum;
}
