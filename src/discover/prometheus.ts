/**
 * Discovery through a Prometheus HTTP API: its active targets whose series include
 * go_memstats_heap_alloc_bytes (Go services), narrowed by the source's `match` selector. The
 * join is pure; PrometheusDiscovery is the shell and keeps the last good list when the API fails.
 */
import type { PrometheusSource } from '../config/fleet.js';
import { PrometheusApi, withMetricName, type ActiveTarget, type Labels } from '../collect/prometheus-api.js';
import { targetKey } from '../collect/prometheus-source.js';
import type { Target } from './rules.js';

/** The series that mark a Go service. */
export const GO_MARKER = 'go_memstats_heap_alloc_bytes';
/** How far back /api/v1/series looks for the marker: a target must have been scraped lately. */
const SERIES_LOOKBACK_MS = 10 * 60_000;

/** Active targets that have a Go marker series, by job and instance. */
export function goTargets(active: readonly ActiveTarget[], series: readonly Labels[], source: PrometheusSource): Target[] {
  const withGo = new Set(series.map(targetKey).filter((k): k is string => k !== undefined));
  const seen = new Set<string>();
  const out: Target[] = [];
  for (const t of active) {
    const key = targetKey(t.labels);
    if (key === undefined || !withGo.has(key) || seen.has(key)) continue;
    seen.add(key);
    out.push({
      labels: t.labels,
      source: `prometheus:${source.url}`,
      ...(source.samples === 'prometheus' ? { samplesFrom: { url: source.url, timeout: source.timeout, ...(source.match ? { match: source.match } : {}) } } : {}),
    });
  }
  return out;
}

export class PrometheusDiscovery {
  readonly api: PrometheusApi;
  private last: Target[] = [];

  constructor(
    private readonly source: PrometheusSource,
    private readonly onError: (message: string) => void,
  ) {
    this.api = new PrometheusApi(source.url, { timeoutMs: source.timeout });
  }

  /** Asks Prometheus again; on failure reports why and keeps the last good list. */
  async refresh(now = Date.now()): Promise<void> {
    try {
      const [active, series] = await Promise.all([
        this.api.targets(),
        this.api.series(withMetricName(GO_MARKER, this.source.match), (now - SERIES_LOOKBACK_MS) / 1000, now / 1000),
      ]);
      this.last = goTargets(active, series, this.source);
    } catch (err) {
      this.onError(`${(err as Error).message}; keeping the last discovered targets (${this.last.length})`);
    }
  }

  targets(): Target[] {
    return this.last;
  }
}
