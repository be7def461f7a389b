/** What the collector needs from a service's configuration, and the URLs it derives from it. */
import type { ServiceConfig } from '../config/schema.js';

/** The subset of ServiceConfig the collector reads (tests build it directly). */
export type ScrapeTarget = Pick<
  ServiceConfig,
  'name' | 'pprof' | 'expvar' | 'metrics' | 'pid' | 'pidFile' | 'systemdUnit' | 'timeout' | 'maxBodySize'
> & { headers?: Record<string, string> };

export type SourceName = 'pprof' | 'expvar' | 'metrics' | 'proc';

/** `${pprof}/${name}` whether or not the configured base ends in a slash. */
export function pprofUrl(base: string, name: string, query = ''): string {
  return `${base.replace(/\/+$/, '')}/${name}${query}`;
}

export function hasProcess(t: ScrapeTarget): boolean {
  return t.pid !== undefined || t.pidFile !== undefined || t.systemdUnit !== undefined;
}
