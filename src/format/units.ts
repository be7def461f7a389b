/**
 * Units people write in the config and read in alerts: durations, byte sizes and growth rates.
 * Pure functions, shared by the config (parsing) and every message leakwatch writes (formatting:
 * one byte formatter, 1000-based with three significant digits, like the MB people type). Parsers
 * throw an Error whose message starts with `expected …` so the config loader can prefix the path
 * and append what it got.
 */

/** A growth rate, normalised to per hour. `percent` is % of the current level per hour. */
export interface Rate {
  value: number;
  unit: 'bytes' | 'percent' | 'count';
}

const MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

export const DURATION_HINT = 'a duration like "15s", "5m" or "1h30m"';
export const SIZE_HINT = 'a size like "512KB", "10MB" or "2GiB"';
export const RATE_HINT = 'a rate like "10MB/h"';

/** `500ms 15s 5m 6h 1d 2w`, combinations like `1h30m`, or 0. Returns milliseconds. */
export function parseDuration(text: string | number): number {
  if (text === 0 || text === '0') return 0;
  if (typeof text !== 'string') throw new Error(`expected ${DURATION_HINT}`);
  const s = text.trim();
  let total = 0;
  let at = 0;
  if (s.length === 0) throw new Error(`expected ${DURATION_HINT}`);
  while (at < s.length) {
    DURATION_PART.lastIndex = at;
    const m = DURATION_PART.exec(s);
    if (!m) throw new Error(`expected ${DURATION_HINT}`);
    total += Number(m[1]) * MS[m[2]];
    at = DURATION_PART.lastIndex;
  }
  return Math.round(total);
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * `512KB 10MB 2GiB 100B`, or a bare integer (bytes). KB/MB/GB/TB are 1000-based,
 * KiB/MiB/GiB/TiB 1024-based; case does not matter (a memory watchdog has no bits).
 */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isSafeInteger(text) && text >= 0) return text;
    throw new Error(`expected ${SIZE_HINT}`);
  }
  const m = SIZE.exec(text.trim());
  if (!m) throw new Error(`expected ${SIZE_HINT}`);
  const factor = m[2] === '' ? 1 : SIZE_UNITS[m[2].toLowerCase()];
  if (factor === undefined) throw new Error(`expected ${SIZE_HINT}`);
  const bytes = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes)) throw new Error(`expected ${SIZE_HINT}`);
  return bytes;
}

const PER: Record<string, number> = {
  s: 3600, sec: 3600,
  m: 60, min: 60,
  h: 1, hr: 1, hour: 1,
  d: 1 / 24, day: 1 / 24,
};

const RATE = /^(.+?)\s*\/\s*([a-z]+)$/i;
const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/;
const PERCENT = /^(\d+(?:\.\d+)?)\s*%$/;

/**
 * `10MB/h` (bytes), `2%/h` (percent of the current level), `100/h` (a count, e.g. goroutines);
 * per `/s`, `/m`, `/h` or `/d`. Always returned per hour.
 */
export function parseRate(text: string): Rate {
  const m = typeof text === 'string' ? RATE.exec(text.trim()) : null;
  const perHour = m ? PER[m[2].toLowerCase()] : undefined;
  if (!m || perHour === undefined) throw new Error(`expected ${RATE_HINT}`);
  const amount = m[1];
  const pct = PERCENT.exec(amount);
  if (pct) return { value: Number(pct[1]) * perHour, unit: 'percent' };
  if (PLAIN_NUMBER.test(amount)) return { value: Number(amount) * perHour, unit: 'count' };
  try {
    return { value: parseSize(amount) * perHour, unit: 'bytes' };
  } catch {
    throw new Error(`expected ${RATE_HINT}`);
  }
}

/** Three significant digits, no exponent: 412, 41.2, 4.12, 0.412. */
function threeDigits(n: number): string {
  const a = Math.abs(n);
  if (a >= 100 || a === 0) return String(Math.round(n));
  return String(Number(n.toPrecision(3)));
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Human bytes, 1000-based like the rates people type: `412 MB`, `1.23 GB`, `-5.1 MB`, `512 B`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  let i = 0;
  while (i < BYTE_UNITS.length - 1 && Number(threeDigits(v)) >= 1000) {
    v /= 1000;
    i++;
  }
  return `${sign}${threeDigits(v)} ${BYTE_UNITS[i]}`;
}

/**
 * Whole counts with thousands separators: `1,234`. Not toLocaleString: the first Intl use maps
 * ICU's data into the daemon (~8 MB of RSS that stays) at its first dashboard view or alert.
 */
export function formatCount(n: number): string {
  const whole = Math.round(n);
  if (!Number.isFinite(whole)) return String(whole);
  const digits = String(Math.abs(whole)).replace(/\B(?=(\d{3})+$)/g, ',');
  return whole < 0 ? `-${digits}` : digits;
}

/** `10 MB/h`, `2%/h`, `100/h`. */
export function formatRate(rate: Rate): string {
  switch (rate.unit) {
    case 'bytes':
      return `${formatBytes(rate.value)}/h`;
    case 'percent':
      return `${threeDigits(rate.value)}%/h`;
    case 'count':
      return `${threeDigits(rate.value)}/h`;
  }
}

/** `1d6h`, `1h30m`, `15s`, `500ms`: the largest unit and the next one, the way people say it. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const units = ['d', 'h', 'm', 's'];
  const seconds = Math.round(ms / 1000);
  const i = units.findIndex((u) => seconds >= MS[u] / 1000);
  const big = Math.floor(seconds / (MS[units[i]] / 1000));
  const next = units[i + 1];
  const small = next ? Math.floor((seconds % (MS[units[i]] / 1000)) / (MS[next] / 1000)) : 0;
  return small > 0 ? `${big}${units[i]}${small}${next}` : `${big}${units[i]}`;
}
