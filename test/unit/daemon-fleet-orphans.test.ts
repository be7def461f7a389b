/**
 * Services that left while the daemon was down (daemon/fleet.ts): their open incidents resolve as
 * `gone` once the service list is complete — at once without discovery, after `goneAfter` with it —
 * and never while a discovery source has not answered, or for a service that is back.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { FleetJobs } from '../../src/daemon/fleet.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import type { ServiceWatch } from '../../src/daemon/watch.js';
import type { ServiceConfig } from '../../src/config/schema.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/log.js';

const T0 = Date.UTC(2026, 11, 5, 9, 0, 0);

function config(yaml: string) {
  return parseConfig(yaml, { path: join(tmpdir(), 'leakwatch.yaml'), env: {} });
}
const STATIC = config('services:\n  - name: kept\n    metrics: http://127.0.0.1:1/metrics\n');
const DISCOVERY = config('discovery:\n  goneAfter: 10m\n  sources:\n    - files: [targets.json]\n');
const svc = (name: string): ServiceConfig => ({ ...STATIC.services[0]!, name });

/** A fleet over a store whose open incidents are `open` (service names); resolves are recorded with their time. */
function fleet(open: string[]) {
  let now = T0;
  const stillOpen = new Set(open);
  const resolved: [string, number][] = [];
  const watches = new Map<string, ServiceWatch>();
  const jobs = new FleetJobs({
    scheduler: new Scheduler(() => undefined),
    createWatch: (s) => ({ svc: s, start: () => undefined, resolveAll: async () => 0 }) as unknown as ServiceWatch,
    watches,
    log: silentLogger,
    now: () => now,
    orphans: {
      open: () => [...stillOpen],
      resolve: (name, at) => {
        resolved.push([name, at - T0]);
        stillOpen.delete(name);
        return 1;
      },
    },
  });
  return { jobs, resolved, watches, later: (ms: number) => (now += ms) };
}

describe('fleet: incidents of services that left while the daemon was down', () => {
  it('without discovery, the config is the whole list: an unlisted service\'s incidents resolve at start, a listed one\'s stay', () => {
    const f = fleet(['left', 'kept']);
    f.jobs.applyConfig(STATIC);
    expect(f.resolved).toEqual([['left', 0]]);
  });

  it('with discovery, nothing resolves before a complete list; then after goneAfter, unless the service came back', () => {
    const f = fleet(['left', 'back']);
    f.jobs.applyConfig(DISCOVERY);
    f.jobs.apply([], false); // a source failed: its targets are unknown
    f.later(20 * 60_000);
    f.jobs.apply([], false);
    expect(f.resolved).toEqual([]);
    f.jobs.apply([], true);
    f.later(5 * 60_000);
    f.jobs.apply([svc('back')], true);
    expect(f.resolved).toEqual([]);
    f.later(5 * 60_000);
    f.jobs.apply([svc('back')], true);
    expect(f.resolved).toEqual([['left', 30 * 60_000]]);
  });

  it('a reload that drops discovery drops the discovered services with it', () => {
    const f = fleet(['api']);
    f.jobs.applyConfig(DISCOVERY);
    f.jobs.apply([svc('api')], true);
    expect([...f.watches.keys()]).toEqual(['api']);
    f.jobs.applyConfig(STATIC);
    expect([...f.watches.keys()]).toEqual(['kept']);
  });
});
