/**
 * The few Prometheus HTTP API calls leakwatch makes (`/api/v1/targets`, `/api/v1/series`,
 * `/api/v1/query_range`): response parsers are pure; `PrometheusApi` is the thin shell over
 * fetchBody (deadline, body cap, stable error codes). Works against anything that speaks the API
 * (Prometheus, Thanos, Mimir, VictoriaMetrics).
 */
import { ScrapeError } from './errors.js';
import { fetchBody } from './http.js';

export type Labels = Record<string, string>;

/** One series of a range query: its labels and [unix seconds, value] points, oldest first. */
export interface RangeSeries {
  labels: Labels;
  points: [number, number][];
}

export interface ActiveTarget {
  labels: Labels;
  scrapeUrl: string;
  health: string;
}

/** The `data` of a success envelope, or a ScrapeError with Prometheus' own words. */
export function unwrap(body: string, what: string): unknown {
  let doc: { status?: unknown; data?: unknown; error?: unknown; errorType?: unknown };
  try {
    doc = JSON.parse(body) as typeof doc;
  } catch {
    throw new ScrapeError('bad_format', `${what}: expected a Prometheus API JSON response`);
  }
  if (doc?.status !== 'success') {
    throw new ScrapeError('bad_format', `${what}: ${String(doc?.errorType ?? 'error')}: ${String(doc?.error ?? 'no error given')}`);
  }
  return doc.data;
}

export function parseTargets(data: unknown): ActiveTarget[] {
  const active = (data as { activeTargets?: unknown })?.activeTargets;
  if (!Array.isArray(active)) throw new ScrapeError('bad_format', 'targets: no activeTargets list in the response');
  return active.map((t: { labels?: Labels; scrapeUrl?: string; health?: string }) => ({
    labels: { ...(t.labels ?? {}) },
    scrapeUrl: t.scrapeUrl ?? '',
    health: t.health ?? 'unknown',
  }));
}

export function parseSeries(data: unknown): Labels[] {
  if (!Array.isArray(data)) throw new ScrapeError('bad_format', 'series: expected a list of label sets');
  return data as Labels[];
}

export function parseMatrix(data: unknown): RangeSeries[] {
  const d = data as { resultType?: unknown; result?: unknown };
  if (d?.resultType !== 'matrix' || !Array.isArray(d.result)) throw new ScrapeError('bad_format', 'query_range: expected a matrix result');
  return d.result.map((r: { metric?: Labels; values?: [number, string][] }) => ({
    labels: r.metric ?? {},
    points: (r.values ?? []).map(([t, v]) => [t, promFloat(v)] as [number, number]),
  }));
}

/** A sample value as the API writes it: Go's float text, with "+Inf", "-Inf" and "NaN" spelled out. */
function promFloat(v: string): number {
  return v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
}

/** `metric{…}` from a `{…}` selector (the source's `match`), or the bare metric name. */
export function withMetricName(name: string, match: string | undefined): string {
  if (match === undefined) return name;
  const m = /^\s*([A-Za-z_:][A-Za-z0-9_:]*)?\s*(\{.*\})\s*$/.exec(match);
  return m ? `${name}${m[2]}` : name;
}

export interface ApiOptions {
  timeoutMs: number;
  /** Range queries over a whole window for hundreds of services are large; the cap is generous. */
  maxBytes?: number;
}

export class PrometheusApi {
  /** Requests sent, for leakwatch's own accounting of the load it puts on Prometheus. */
  requests = 0;

  constructor(
    readonly baseUrl: string,
    private readonly opts: ApiOptions,
  ) {}

  async targets(): Promise<ActiveTarget[]> {
    return parseTargets(await this.get('/api/v1/targets', { state: 'active' }, 'targets'));
  }

  async series(match: string, startSec: number, endSec: number): Promise<Labels[]> {
    return parseSeries(await this.get('/api/v1/series', { 'match[]': match, start: String(startSec), end: String(endSec) }, 'series'));
  }

  async queryRange(query: string, startSec: number, endSec: number, stepSec: number): Promise<RangeSeries[]> {
    const params = { query, start: String(startSec), end: String(endSec), step: String(stepSec) };
    return parseMatrix(await this.get('/api/v1/query_range', params, `query_range ${query}`));
  }

  private async get(path: string, params: Record<string, string>, what: string): Promise<unknown> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params).toString()}`;
    this.requests++;
    let body: Buffer;
    try {
      body = await fetchBody(url, { timeoutMs: this.opts.timeoutMs, maxBytes: this.opts.maxBytes ?? 512 * 1024 ** 2, expect: 'json' });
    } catch (err) {
      // A 400/422 carries Prometheus' reason in the JSON body; the status line alone says little.
      const e = err as ScrapeError;
      throw new ScrapeError(e.code ?? 'other', `prometheus ${this.baseUrl} ${what}: ${e.message}`, { cause: err });
    }
    try {
      return unwrap(body.toString('utf8'), what);
    } catch (err) {
      const e = err as ScrapeError;
      throw new ScrapeError(e.code, `prometheus ${this.baseUrl} ${e.message}`);
    }
  }
}
