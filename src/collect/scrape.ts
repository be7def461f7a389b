/**
 * scrapeService: one scrape of one service, run by its plan (plan.ts): the cheapest sources first,
 * all at once, then backups for what they did not give. Every part is validated as it is parsed
 * (validate.ts) and merged into one Sample; a failing source is listed in `failures` and never
 * costs the others their data. Never throws for a source failure: the daemon records the result.
 */
import { emptySample, type Sample } from '../model/sample.js';
import { withContext, type ScrapeError } from './errors.js';
import { parseHeapText } from './heap-text.js';
import type { BodyKind } from './http.js';
import { MemStatsFooter } from './memstats-footer.js';
import { groupsOf, ScrapePlan, type FetchName } from './plan.js';
import { parseGoroutineCount } from './goroutine-text.js';
import { parsePprofIndex } from './pprof-index.js';
import { bodyCap, fetchInPool, parseTextBody, sharedPools, type CollectPools } from './pools.js';
import { readProcess } from './procfs.js';
import { isRestart } from '../model/restart.js';
import { pprofUrl, type ScrapeTarget, type SourceName } from './target.js';
import { admitInto, describeInvalid, type ParseOptions } from './validate.js';

// The daemon imports both entry points from here.
export { captureProfiles, type CapturedProfile, type ProfileFailure } from './profiles.js';
export { ScrapePlan } from './plan.js';

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
  /** The endpoints fetched, in the order they were started. */
  fetched: FetchName[];
}

export interface ScrapeOptions {
  signal?: AbortSignal;
  /** Clock for `at` / `t` (Unix ms). Default Date.now. */
  now?: () => number;
  /** The service's plan, kept between scrapes; without one every scrape plans as if it were the first. */
  plan?: ScrapePlan;
  /** Fetch and decode pools shared with other services. Default: sharedPools(). */
  pools?: CollectPools;
}

type Part = Partial<Sample>;

/** Which source and stage name each fetch reports as. */
const STAGES: Record<FetchName, [SourceName, string]> = {
  metrics: ['metrics', 'metrics'],
  expvar: ['expvar', 'expvar'],
  pprofIndex: ['pprof', 'pprof index'],
  goroutineText: ['pprof', 'goroutine?debug=1'],
  heapText: ['pprof', 'heap?debug=1'],
  proc: ['proc', 'proc'],
};

export async function scrapeService(svc: ScrapeTarget, prev?: Sample, opts: ScrapeOptions = {}): Promise<ScrapeResult> {
  const now = opts.now ?? Date.now;
  const plan = opts.plan ?? new ScrapePlan();
  if (prev) plan.remember(prev);
  const at = now();
  // Duration is wall time whatever clock `now` is (tests and replays pass their own).
  const started = performance.now();
  const failures: ScrapeFailure[] = [];
  const pools = opts.pools ?? sharedPools();
  const get = (url: string, expect?: BodyKind, onChunk?: (c: Buffer) => void, source: 'pprof' | 'expvar' | 'metrics' = 'pprof'): Promise<Buffer> =>
    fetchInPool(pools, svc.name, url, { headers: svc.headers, timeoutMs: svc.timeout, ...bodyCap(svc, source), signal: opts.signal, expect, onChunk });
  const pprof = svc.pprof ?? '';

  const tasks: Record<FetchName, (o: ParseOptions) => Promise<Part>> = {
    // Big text bodies parse on a decode worker (pools.ts), validated there as here.
    metrics: async (o) => parseTextBody(pools, svc.name, 'metrics', await get(svc.metrics!, 'text', undefined, 'metrics'), svc.timeout, o),
    expvar: async (o) => parseTextBody(pools, svc.name, 'expvar', await get(svc.expvar!, 'json', undefined, 'expvar'), svc.timeout, o),
    // The index is an HTML page by design: no `expect`, the parser knows what it looks like.
    pprofIndex: async () => ({ goroutines: parsePprofIndex((await get(pprofUrl(pprof, ''))).toString('utf8')) }),
    goroutineText: async () => {
      // Only the first line ("goroutine profile: total N") is kept; the stacks pass by.
      let head = '';
      await get(pprofUrl(pprof, 'goroutine', '?debug=1'), 'text', (c) => {
        if (head.length < 256 && !head.includes('\n')) head += c.toString('latin1', 0, Math.min(c.length, 256));
      });
      return { goroutines: parseGoroutineCount(head) };
    },
    heapText: async (o) => {
      const footer = new MemStatsFooter();
      await get(pprofUrl(pprof, 'heap', '?debug=1'), 'text', (c) => footer.push(c));
      return parseHeapText(footer.text(), o);
    },
    proc: async (o) => procPart(await readProcess(svc), o),
  };

  // Each fetch resolves to its valid part or undefined, recording its own failure and dropped values.
  const parts = new Map<FetchName, Part>();
  const run = async (name: FetchName): Promise<void> => {
    const [source, stage] = STAGES[name];
    const o: ParseOptions = { now: at, invalid: [] };
    let part: Part | undefined;
    try {
      part = await tasks[name](o);
    } catch (e) {
      const err: ScrapeError = withContext(e, stage);
      failures.push({ source, code: err.code, reason: err.message });
    }
    if (o.invalid!.length) failures.push({ source, code: 'invalid_value', reason: describeInvalid(stage, o.invalid!) });
    // A part with nothing valid left gave nothing.
    if (part && Object.keys(part).length === 0) part = undefined;
    plan.record(name, at, part);
    if (part) parts.set(name, part);
  };

  const first = plan.firstRound(svc, at);
  await Promise.all(first.map(run));
  const got = new Set([...parts.values()].flatMap((p) => [...groupsOf(p)]));
  const second = plan.secondRound(svc, at, new Set(first), got);
  await Promise.all(second.map(run));

  const durationMs = performance.now() - started;
  const fetched = [...first, ...second];
  if (parts.size === 0) return { at, ok: false, failures, durationMs, fetched };

  const sample = mergeSample(at, {
    heap: parts.get('heapText'), goroutines: parts.get('pprofIndex') ?? parts.get('goroutineText'), expvar: parts.get('expvar'),
    metrics: parts.get('metrics'), proc: parts.get('proc'),
  });
  const known = plan.lastKnown;
  if (known) sample.restart = isRestart(known, sample);
  plan.remember(sample);
  return { at, ok: true, sample, failures, durationMs, fetched };
}

/** /proc values go through the same table as the targets' own. */
function procPart(p: { pid: number; rss: number; processStart: number }, o: ParseOptions): Part {
  return admitInto(
    [
      { field: 'pid', name: 'pid', raw: String(p.pid), value: p.pid },
      { field: 'rss', name: 'VmRSS', raw: String(p.rss), value: p.rss },
      { field: 'processStart', name: 'starttime', raw: String(p.processStart), value: p.processStart },
    ],
    o,
  );
}

/**
 * Precedence (design §2): the pprof footer is a stop-the-world snapshot, so it wins; expvar
 * (also stop-the-world) fills gaps, then metrics. RSS, pid and start time from /proc beat the
 * metrics' process collector; the goroutine count from the pprof index beats go_goroutines.
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

