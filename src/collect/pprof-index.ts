/**
 * The goroutine count from the net/http/pprof index page (/debug/pprof/). The page lists every
 * profile with its Count(); the goroutine row is runtime.NumGoroutine(), which costs the target a
 * fraction of a millisecond where goroutine?debug=1 walks every stack. Pure.
 */
import { ScrapeError } from './errors.js';
import { checkedGoroutines } from './goroutine-text.js';
import { sanitizeSnippet } from './snippet.js';

/**
 * One table row, as Go writes it since 1.16 (`<tr><td>11</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>`)
 * and as the older html/template page did (`<tr><td>11</td><td><a href=goroutine?debug=1>goroutine</a>`).
 */
const GOROUTINE_ROW = /<tr>\s*<td>([^<]*)<\/td>\s*<td><a href=['"]?goroutine\?debug=1['"]?>goroutine<\/a>/;

export function parsePprofIndex(text: string): number {
  const m = GOROUTINE_ROW.exec(text);
  if (!m) {
    const snippet = sanitizeSnippet(Buffer.from(text.slice(0, 4096), 'utf8'), 60);
    const what = /Types of profiles available/.test(text) ? 'the page has no goroutine row' : `got ${JSON.stringify(snippet)}`;
    throw new ScrapeError('bad_format', `expected the net/http/pprof index page with a goroutine count; ${what}`, { stage: 'pprof index' });
  }
  return checkedGoroutines('pprof index', m[1]!.trim());
}
