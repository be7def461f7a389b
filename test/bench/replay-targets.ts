/**
 * Replay targets: many local HTTP servers that answer like a Go service with net/http/pprof and
 * expvar (Go 1.22+ routing: GET only, 404 "Unknown profile"), serving responses recorded from a
 * real Go 1.23 process (test/fixtures/pprof/out123). Each target is its own listener on 127.0.0.1,
 * so the daemon under test opens real connections to N distinct ports. Every request is recorded
 * with its arrival time, so a bench can tell when each scrape arrived without trusting the daemon.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './paths.js';

export const DEFAULT_FIXTURE_DIR = join(ROOT, 'test/fixtures/pprof/out123');

export interface Hit {
  /** Unix ms when the request arrived. */
  at: number;
  /** Path plus query, e.g. /debug/pprof/heap?debug=1 */
  path: string;
  status: number;
}

export interface ReplayTarget {
  name: string;
  /** http://127.0.0.1:PORT */
  base: string;
  /** base + /debug/pprof */
  pprof: string;
  /** base + /debug/vars */
  expvar: string;
  hits: Hit[];
}

export interface ReplayTargets {
  targets: ReplayTarget[];
  close(): Promise<void>;
}

export interface ReplayOptions {
  count: number;
  fixtureDir?: string;
  /** Name prefix: targets are named `${prefix}${index}` (default "replay-"). */
  prefix?: string;
  /** Keep per-request hits (default true); off for long runs that only need the traffic. */
  record?: boolean;
}

export interface Fixtures {
  heapProto: Buffer;
  heapText: Buffer;
  heapDelta: Buffer;
  allocsProto: Buffer;
  goroutineProto: Buffer;
  goroutineText1: Buffer;
  goroutineText2: Buffer;
  vars: Buffer;
}

export function loadFixtures(dir: string): Fixtures {
  const f = (name: string) => readFileSync(join(dir, name));
  return {
    heapProto: f('new.pb.gz'),
    heapText: f('new_heap_debug1.txt'),
    heapDelta: f('heap_delta.pb.gz'),
    allocsProto: f('base_allocs.pb.gz'),
    goroutineProto: f('goroutine.pb.gz'),
    goroutineText1: f('goroutine_debug1.txt'),
    goroutineText2: f('goroutine_debug2.txt'),
    vars: f('vars.json'),
  };
}

interface Answer {
  status: number;
  type: string;
  body: Buffer | string;
  attachment?: string;
}

const TEXT = 'text/plain; charset=utf-8';
const PROTO = 'application/octet-stream';

/** What net/http/pprof and expvar would answer (design reference §1). Pure. */
export function answer(fx: Fixtures, method: string, rawUrl: string): Answer {
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, type: TEXT, body: 'Method Not Allowed\n' };
  const url = new URL(rawUrl, 'http://target');
  if (url.pathname === '/debug/vars') return { status: 200, type: 'application/json; charset=utf-8', body: fx.vars };
  if (url.pathname === '/debug/pprof/' || url.pathname === '/debug/pprof') {
    return { status: 200, type: 'text/html; charset=utf-8', body: indexPage(fx) };
  }
  const m = /^\/debug\/pprof\/([a-z]+)$/.exec(url.pathname);
  if (!m) return { status: 404, type: TEXT, body: '404 page not found\n' };
  const name = m[1];
  const debug = Number(url.searchParams.get('debug') ?? '0') || 0;
  const seconds = url.searchParams.get('seconds');
  if (seconds !== null && debug !== 0) return { status: 400, type: TEXT, body: 'profile: seconds and debug cannot be combined\n' };
  switch (name) {
    case 'heap':
    case 'allocs':
      if (debug !== 0) return { status: 200, type: TEXT, body: fx.heapText };
      if (seconds !== null) return { status: 200, type: PROTO, body: fx.heapDelta, attachment: `${name}-delta` };
      return { status: 200, type: PROTO, body: name === 'heap' ? fx.heapProto : fx.allocsProto, attachment: name };
    case 'goroutine':
      if (debug === 1) return { status: 200, type: TEXT, body: fx.goroutineText1 };
      if (debug >= 2) return { status: 200, type: TEXT, body: fx.goroutineText2 };
      return { status: 200, type: PROTO, body: fx.goroutineProto, attachment: 'goroutine' };
    default:
      return { status: 404, type: TEXT, body: 'Unknown profile\n' };
  }
}

/** The net/http/pprof index page as Go writes it, with the recorded goroutine count (leakwatch reads it). */
function indexPage(fx: Fixtures): string {
  const goroutines = /^goroutine profile: total (\d+)/.exec(fx.goroutineText1.toString('latin1'))?.[1] ?? '0';
  const counts: [string, string][] = [['allocs', '0'], ['block', '0'], ['cmdline', '0'], ['goroutine', goroutines], ['heap', '0'],
    ['mutex', '0'], ['profile', '0'], ['threadcreate', '0'], ['trace', '0']];
  const rows = counts.map(([name, n]) => `<tr><td>${n}</td><td><a href='${name}?debug=1'>${name}</a></td></tr>\n`).join('');
  return `<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/<br>\n<br>\nTypes of profiles available:\n<table>\n<thead><td>Count</td><td>Profile</td></thead>\n${rows}</table>\n</body>\n</html>`;
}

export async function startReplayTargets(opts: ReplayOptions): Promise<ReplayTargets> {
  const fx = loadFixtures(opts.fixtureDir ?? DEFAULT_FIXTURE_DIR);
  const record = opts.record ?? true;
  const servers: Server[] = [];
  const targets: ReplayTarget[] = [];
  try {
    for (let i = 0; i < opts.count; i++) {
      const hits: Hit[] = [];
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const at = Date.now();
        const a = answer(fx, req.method ?? 'GET', req.url ?? '/');
        if (record) hits.push({ at, path: req.url ?? '/', status: a.status });
        const headers: Record<string, string> = {
          'content-type': a.type,
          'x-content-type-options': 'nosniff',
          'content-length': String(Buffer.byteLength(a.body)),
        };
        if (a.attachment) headers['content-disposition'] = `attachment; filename="${a.attachment}"`;
        res.writeHead(a.status, headers);
        res.end(req.method === 'HEAD' ? undefined : a.body);
      });
      servers.push(server);
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => ok());
      });
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      targets.push({ name: `${opts.prefix ?? 'replay-'}${i}`, base, pprof: `${base}/debug/pprof`, expvar: `${base}/debug/vars`, hits });
    }
  } catch (err) {
    await closeAll(servers);
    throw new Error(`replay targets: cannot listen: ${(err as Error).message}`);
  }
  return { targets, close: () => closeAll(servers) };
}

async function closeAll(servers: Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((ok) => {
          s.close(() => ok());
          s.closeAllConnections();
        }),
    ),
  );
}

/** Runs targets standalone: `node .bench/test/bench/replay-targets.js 5` prints their URLs, Ctrl-C stops. */
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const n = Number(process.argv[2] ?? '1');
  const running = await startReplayTargets({ count: n, record: false });
  for (const t of running.targets) console.log(`${t.name} ${t.pprof} ${t.expvar}`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
