import { parseDuration } from './units.js';

/**
 * A point in time as people type it (`leakwatch diff`, the API's `from`/`to`): an ISO time, Unix
 * milliseconds, or a duration before `now` (`-2h`, `-1h30m`, `-90s`). Undefined when it is none.
 */
export function parseWhen(text: string, now: number): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if (text.startsWith('-')) {
    try {
      return now - parseDuration(text.slice(1));
    } catch {
      return undefined;
    }
  }
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
