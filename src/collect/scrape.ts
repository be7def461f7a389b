/**
 * scrapeService: one scrape of one service. Every configured source is fetched in parallel and
 * merged into one Sample; a failing source is listed in `failures` and never costs the others
 * their data. Never throws for a source failure: the daemon records the result as it is.
 */
import { emptySample, type Sample } from '../model/sample.js';
import { withContext, type ScrapeError } from './errors.js';
import { parseGoroutineCount } from './goroutine-text.js';
import { MEMSTATS_MARKER, parseHeapText } from './heap-text.js';
import type { BodyKind } from './http.js';
import { bodyCap, fetchInPool, parseTextBody, sharedPools, type CollectPools } from './pools.js';
import { readProcess } from './procfs.js';
import { detectRestart } from '../model/restart.js';
import { hasProcess, pprofUrl, type ScrapeTarget, type SourceName } from './target.js';

// The daemon imports both entry points from here.
export { captureProfiles, type CapturedProfile, type ProfileFailure } from './profiles.js';

export interface ScrapeFailure {
  source: SourceName;
  code: string;
  reason: string;
}

export interface ScrapeResult {
  /** Unix ms when the scrape started; also the sample's `t`. */
  at: number;
  ok: boolean;
  sample?: Sample;
  failures: ScrapeFailure[];
  /** Wall time of the whole scrape, ms (fractional). */
  durationMs: number;
}

export interface ScrapeOptions {
  signal?: AbortSignal;
  /** Clock for `at` / `t` (Unix ms). Default Date.now. */
  now?: () => number;
  /** Fetch and decode pools shared with other services. Default: sharedPools(). */
  pools?: CollectPools;
}

type Part = Partial<Sample>;

export async function scrapeService(svc: ScrapeTarget, prev?: Sample, opts: ScrapeOptions = {}): Promise<ScrapeResult> {
  const now = opts.now ?? Date.now;
  const at = now();
  // Duration is wall time whatever clock `now` is (tests and replays pass their own).
  const started = performance.now();
  const failures: ScrapeFailure[] = [];
  const pools = opts.pools ?? sharedPools();
  const get = (url: string, expect: BodyKind, source: 'pprof' | 'expvar' | 'metrics' = 'pprof'): Promise<Buffer> =>
    fetchInPool(pools, svc.name, url, { headers: svc.headers, timeoutMs: svc.timeout, ...bodyCap(svc, source), signal: opts.signal, expect });

  // Each task resolves to its part or undefined, recording its own failure.
  const attempt = async (source: SourceName, what: string, task: () => Promise<Part>): Promise<Part | undefined> => {
    try {
      return await task();
    } catch (e) {
      const err: ScrapeError = withContext(e, what);
      failures.push({ source, code: err.code, reason: err.message });
      return undefined;
    }
  };

  const pprof = svc.pprof;
  const [heap, goroutines, expvar, metrics, proc] = await Promise.all([
    pprof ? attempt('pprof', 'heap?debug=1', async () => parseHeapText(memStatsTail(await get(pprofUrl(pprof, 'heap', '?debug=1'), 'text')))) : undefined,
    pprof
      ? attempt('pprof', 'goroutine?debug=1', async () => ({
          goroutines: parseGoroutineCount(firstLine(await get(pprofUrl(pprof, 'goroutine', '?debug=1'), 'text'))),
        }))
      : undefined,
    svc.expvar ? attempt('expvar', 'expvar', async () => parseTextBody(pools, svc.name, 'expvar', await get(svc.expvar!, 'json', 'expvar'), svc.timeout)) : undefined,
    svc.metrics ? attempt('metrics', 'metrics', async () => parseTextBody(pools, svc.name, 'metrics', await get(svc.metrics!, 'text', 'metrics'), svc.timeout)) : undefined,
    hasProcess(svc) ? attempt('proc', 'proc', async () => readProcess(svc)) : undefined,
  ]);

  const parts = [heap, goroutines, expvar, metrics, proc].filter((p): p is Part => p !== undefined);
  const durationMs = performance.now() - started;
  if (parts.length === 0) return { at, ok: false, failures, durationMs };

  const sample = mergeSample(at, { heap, goroutines, expvar, metrics, proc });
  if (prev) sample.restart = detectRestart(prev, sample);
  return { at, ok: true, sample, failures, durationMs };
}

/**
 * Precedence (design §2): the pprof footer is a stop-the-world snapshot, so it wins; expvar
 * (also stop-the-world) fills gaps, then metrics. RSS, pid and start time from /proc beat the
 * metrics' process collector; the goroutine count from the pprof text beats go_goroutines.
 */
export function mergeSample(
  t: number,
  parts: { heap?: Part; goroutines?: Part; expvar?: Part; metrics?: Part; proc?: Part },
): Sample {
  const sample = emptySample(t);
  for (const part of [parts.proc, parts.heap, parts.goroutines, parts.expvar, parts.metrics]) {
    if (!part) continue;
    for (const [k, v] of Object.entries(part) as [keyof Sample, number][]) {
      if (k !== 't' && k !== 'restart' && sample[k] === undefined && v !== undefined) (sample as unknown as Record<string, number>)[k] = v;
    }
  }
  return sample;
}

/** Only the MemStats footer is needed: slice it off before decoding a large body to a string. */
function memStatsTail(body: Buffer): string {
  const at = body.lastIndexOf(MEMSTATS_MARKER);
  return (at < 0 ? body.subarray(0, 4096) : body.subarray(at)).toString('utf8');
}

function firstLine(body: Buffer): string {
  const nl = body.indexOf(0x0a);
  return body.subarray(0, nl < 0 ? Math.min(body.length, 4096) : nl).toString('utf8');
}
