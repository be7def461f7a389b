/**
 * What the collector needs from a service's configuration (a resolved ServiceConfig is one), and
 * the URLs it derives from it. Declared here so tests and benches can build it directly.
 */
export interface ScrapeTarget {
  name: string;
  pprof?: string;
  expvar?: string;
  metrics?: string;
  pid?: number;
  pidFile?: string;
  systemdUnit?: string;
  headers?: Record<string, string>;
  /** ms, for each request. */
  timeout: number;
  /** bytes, for each response body. */
  maxBodySize: number;
}

export type SourceName = 'pprof' | 'expvar' | 'metrics' | 'proc' | 'prometheus';

/** `${pprof}/${name}` whether or not the configured base ends in a slash. */
export function pprofUrl(base: string, name: string, query = ''): string {
  return `${base.replace(/\/+$/, '')}/${name}${query}`;
}

export function hasProcess(t: ScrapeTarget): boolean {
  return t.pid !== undefined || t.pidFile !== undefined || t.systemdUnit !== undefined;
}
