/**
 * The read-only JSON API. Every answer has the shape of the matching CLI `--json` output, built by
 * the same functions (serviceStatus, incidentView, explain), so scripts can move between the two.
 */
import { BUILTIN_DEFAULTS, type Config, type ServiceConfig } from '../config/schema.js';
import type { Store } from '../store/index.js';
import type { IncidentStore } from '../store/incidents.js';
import type { OutboxStore } from '../store/outbox.js';
import type { Incident } from '../model/incident.js';
import type { Sample } from '../model/sample.js';
import { parseWhen } from '../format/time.js';
import { serviceStatus, type LiveVerdict, type ServiceStatus } from '../views/status.js';
import { incidentView } from '../views/incidents.js';
import { explain, type Explanation } from '../analyze/explain.js';
import { traceRecord } from '../analyze/trace.js';
import { liveHeapFromLatestProfile } from '../views/explain.js';
import type { Reply, Route } from './server.js';

export interface WebDeps {
  store: Store;
  incidents: IncidentStore;
  outbox: OutboxStore;
  /** A function: the daemon's config changes on SIGHUP. */
  config: () => Config;
  /** Clock, for tests; Date.now by default. */
  now?: () => number;
  /**
   * The running daemon's own verdict per service (its ServiceWatch). With it the overview and
   * /api/status reuse the fits the daemon already made instead of reloading and refitting every
   * window on each request (seconds of blocked event loop at 200 services).
   */
  live?: (service: string) => LiveVerdict | undefined;
}

function jsonReply(status: number, body: unknown): Reply {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body, null, 2) + '\n' };
}

const notFound = (error: string) => jsonReply(404, { error });

/** One service's status, reusing the daemon's live verdict when it has one. */
export function statusOfService(deps: WebDeps, svc: ServiceConfig, now: number): ServiceStatus {
  const live = deps.live?.(svc.name);
  // A watch that has not judged yet (just started or reloaded) has no trends: fit from the store.
  return serviceStatus(deps.store, deps.incidents, svc, now, live && Object.keys(live.trends).length > 0 ? live : undefined);
}

export function statusOf(deps: WebDeps): { services: ServiceStatus[] } {
  const now = deps.now?.() ?? Date.now();
  return { services: deps.config().services.map((s) => statusOfService(deps, s, now)) };
}

export function configuredService(deps: WebDeps, name: string): ServiceConfig | undefined {
  return deps.config().services.find((s) => s.name === name);
}

/** Configured now, or with stored history (a service removed from the config keeps its data). */
export function knownService(deps: WebDeps, name: string): boolean {
  return configuredService(deps, name) !== undefined || deps.store.serviceId(name) !== undefined;
}

/** Incident ids are positive integers; anything else is simply not found. */
export function incidentById(deps: WebDeps, id: string): Incident | undefined {
  return /^[1-9]\d{0,15}$/.test(id) ? deps.incidents.get(Number(id)) : undefined;
}

/** Samples answered at most per request: a month at 15 s is 170k rows; ask for a narrower range. */
const MAX_SAMPLES = 50_000;


/** `leakwatch explain` of the latest sample; undefined with no samples, throws when MemStats are missing. */
export function explainService(deps: WebDeps, name: string): Explanation | undefined {
  const sample = deps.store.latestMemStats(name) ?? deps.store.latestSample(name);
  if (!sample) return undefined;
  const now = deps.now?.() ?? Date.now();
  return explain(name, sample, { liveHeapFromProfile: liveHeapFromLatestProfile(deps.store, name, now) });
}

function samplesOf(deps: WebDeps, name: string, url: URL): Reply {
  const now = deps.now?.() ?? Date.now();
  const range: { from?: number; to?: number } = {};
  for (const key of ['from', 'to'] as const) {
    const text = url.searchParams.get(key);
    if (text === null || text === '') continue;
    const t = parseWhen(text, now);
    if (t === undefined) return jsonReply(400, { error: `${key}: expected an ISO time, Unix milliseconds or a relative time like -2h; got "${text}"` });
    range[key] = t;
  }
  if (range.from === undefined && range.to === undefined) {
    range.from = now - (configuredService(deps, name)?.window ?? BUILTIN_DEFAULTS.window);
  }
  const samples: Sample[] = deps.store.samples(name, { ...range, limit: MAX_SAMPLES });
  return jsonReply(200, samples.map(traceRecord));
}

export function apiRoutes(deps: WebDeps): Route[] {
  return [
    { method: 'GET', path: '/api/status', handle: () => jsonReply(200, statusOf(deps)) },
    {
      method: 'GET',
      path: '/api/incidents',
      handle: ({ url }) => {
        const service = url.searchParams.get('service') ?? undefined;
        if (service !== undefined && !knownService(deps, service)) return notFound(`unknown service "${service}"`);
        const incidents = deps.incidents.list({ service }).map((i) => incidentView(i, deps.outbox));
        return jsonReply(200, { incidents });
      },
    },
    {
      method: 'GET',
      path: '/api/incidents/:id',
      handle: ({ params }) => {
        const incident = incidentById(deps, params.id!);
        return incident ? jsonReply(200, incidentView(incident, deps.outbox)) : notFound(`no incident ${params.id}`);
      },
    },
    {
      method: 'GET',
      path: '/api/services/:name/samples',
      handle: ({ params, url }) =>
        knownService(deps, params.name!) ? samplesOf(deps, params.name!, url) : notFound(`unknown service "${params.name}"`),
    },
    {
      method: 'GET',
      path: '/api/services/:name/explain',
      handle: ({ params }) => {
        const name = params.name!;
        if (!knownService(deps, name)) return notFound(`unknown service "${name}"`);
        let e: Explanation | undefined;
        try {
          e = explainService(deps, name);
        } catch (err) {
          return jsonReply(422, { error: (err as Error).message });
        }
        return e ? jsonReply(200, e) : notFound(`no samples of ${name} yet`);
      },
    },
  ];
}
