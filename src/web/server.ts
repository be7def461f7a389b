/**
 * The optional HTTP listener (`http.listen`): /healthz and /metrics today, a route table so the
 * JSON API and dashboard can be added as more routes. Loopback by default; any other address needs
 * a bearer token on every request, and the server refuses to start without one.
 */
import { createServer, type Server, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Logger } from '../log/log.js';
import { assertListenAllowed, bearerMatches } from './auth.js';
import { METRICS_CONTENT_TYPE, renderMetrics, type MetricsSnapshot, type ProcessMetrics } from './metrics.js';

export interface ServiceHealth {
  name: string;
  /** Unix ms of the last successful scrape. */
  lastScrapeAt: number | null;
  ageSeconds: number | null;
  /** Scraped recently enough for its schedule. */
  fresh: boolean;
  state: string;
}

export interface Health {
  ok: boolean;
  db: boolean;
  services: ServiceHealth[];
}

/** What the daemon exposes to the listener; the web layer owns this seam. */
export interface HealthSource {
  health(): Health;
  metrics(): MetricsSnapshot;
}

export interface RouteRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** Values of `:name` path segments. */
  params: Record<string, string>;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: string | Uint8Array;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path, with optional `:name` segments: `/api/services/:name`. */
  path: string;
  handle(req: RouteRequest): Reply | Promise<Reply>;
}

export interface HttpServerOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  token?: string;
  source: HealthSource;
  log: Logger;
  /** Extra routes (JSON API, dashboard); matched after /healthz and /metrics. */
  routes?: Route[];
}

export function coreRoutes(source: HealthSource): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      handle: () => {
        let health: Health | { ok: false; error: string };
        try {
          health = source.health();
        } catch (err) {
          health = { ok: false, error: `health check failed: ${(err as Error).message}` };
        }
        return json(health.ok ? 200 : 503, health);
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handle: () => {
        const snap = source.metrics();
        const body = renderMetrics({ ...snap, process: snap.process ?? readProcessMetrics() });
        return { status: 200, headers: { 'content-type': METRICS_CONTENT_TYPE }, body };
      },
    },
  ];
}

/** Where the listener binds and who may talk to it: what a reload may change. */
export interface HttpBinding {
  listen: string;
  token?: string;
}

/**
 * The listener. The constructor does no I/O; start() binds; applyConfig() rebinds when `listen`
 * changes and swaps the token at once (the old one is refused from the next request); stop()
 * closes every connection.
 */
export class HttpServer {
  private readonly routes: Route[];
  private readonly log: Logger;
  private binding: HttpBinding;
  private server: Server | null = null;
  private bound: string | undefined;

  constructor(opts: HttpServerOptions) {
    this.routes = [...coreRoutes(opts.source), ...(opts.routes ?? [])];
    this.log = opts.log.child({ component: 'http' });
    this.binding = { listen: opts.listen, token: opts.token };
  }

  /** e.g. http://127.0.0.1:9470; undefined until started. */
  get url(): string | undefined {
    return this.bound;
  }

  async start(): Promise<void> {
    if (this.server) return;
    await this.bind(this.binding);
  }

  async applyConfig(next: HttpBinding): Promise<void> {
    assertListenAllowed(next.listen, next.token);
    const prev = this.binding;
    if (next.listen === prev.listen || !this.server) {
      this.binding = next;
      if (next.token !== prev.token) {
        // Idle keep-alive sockets go too, so no client keeps a connection it opened with the old token.
        this.server?.closeIdleConnections();
        this.log.info('http token changed', { access: access(next) });
      }
      return;
    }
    await this.stop();
    try {
      await this.bind(next);
    } catch (err) {
      await this.bind(prev).catch(() => undefined);
      throw err;
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.bound = undefined;
    await new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    });
  }

  private async bind(binding: HttpBinding): Promise<void> {
    const addr = assertListenAllowed(binding.listen, binding.token);
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        this.log.error('request failed', { path: req.url, err });
        if (!res.headersSent) send(res, req.method === 'HEAD', json(500, { error: 'internal error' }));
        else res.destroy();
      });
    });
    // A slow or idle client must not pin sockets: this is a watchdog, not a web server.
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((ok, fail) => {
      server.once('error', (err) => {
        // A listen that failed closes its handle in the loop's close phase, after this error:
        // reject a full turn later, so a failed start has left no socket behind when it returns.
        const failed = new Error(`http: cannot listen on ${binding.listen}: ${err.message}`);
        setImmediate(() => setImmediate(() => fail(failed)));
      });
      server.listen(addr.port, addr.host, () => ok());
    });
    const at = server.address() as AddressInfo;
    const host = at.family === 'IPv6' ? `[${at.address}]` : at.address;
    this.server = server;
    this.binding = binding;
    this.bound = `http://${host}:${at.port}`;
    this.log.info('http listening', { url: this.bound, access: access(binding) });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    const token = this.binding.token;
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      send(res, head, { ...json(401, { error: 'missing or wrong bearer token' }), headers: { 'www-authenticate': 'Bearer' } });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://leakwatch.local');
    const method = head ? 'GET' : (req.method ?? 'GET');
    const found = matchRoute(this.routes, method, url.pathname);
    if (found === 'not-found') return send(res, head, json(404, { error: `no route ${url.pathname}` }));
    if (found.kind === 'wrong-method') {
      return send(res, head, { ...json(405, { error: `method ${req.method} not allowed` }), headers: { allow: found.allow.join(', ') } });
    }
    const reply = await found.route.handle({ method, url, headers: req.headers, params: found.params });
    send(res, head, reply);
    this.log.debug('request', { method: req.method, path: url.pathname, status: reply.status });
  }
}

function access(binding: HttpBinding): string {
  return binding.token !== undefined ? 'bearer token required' : 'open (loopback)';
}

type Match =
  | { kind: 'ok'; route: Route; params: Record<string, string> }
  | { kind: 'wrong-method'; allow: string[] };

export function matchRoute(routes: Route[], method: string, pathname: string): Match | 'not-found' {
  const allow: string[] = [];
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (!params) continue;
    if (route.method === method) return { kind: 'ok', route, params };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: 'wrong-method', allow } : 'not-found';
}

function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (got[i] === '') return null;
      try {
        params[want[i].slice(1)] = decodeURIComponent(got[i]);
      } catch {
        return null;
      }
    } else if (want[i] !== got[i]) return null;
  }
  return params;
}

function json(status: number, body: unknown): Reply {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) + '\n' };
}

function send(res: ServerResponse, head: boolean, reply: Reply): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  res.writeHead(reply.status, {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...reply.headers,
    'content-length': String(body.byteLength),
  });
  res.end(head ? undefined : body);
}

/** Computed once: recomputing from uptime would jitter by a millisecond between scrapes. */
const processStartSeconds = Math.round((Date.now() - process.uptime() * 1000) / 1000);

/** leakwatch's own footprint, in the names Prometheus client libraries use. */
export function readProcessMetrics(): ProcessMetrics {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  let openFds: number | undefined;
  try {
    openFds = readdirSync('/proc/self/fd').length;
  } catch {
    openFds = undefined; // not Linux
  }
  return {
    residentMemoryBytes: mem.rss,
    heapBytes: mem.heapUsed,
    heapTotalBytes: mem.heapTotal,
    externalBytes: mem.external,
    heapSpaceBytes: Object.fromEntries(getHeapSpaceStatistics().map((h) => [h.space_name.replace(/_space$/, ''), h.space_size])),
    cpuSecondsTotal: (cpu.user + cpu.system) / 1e6,
    startTimeSeconds: processStartSeconds,
    openFds,
  };
}
