/**
 * The collector against a real local HTTP server that misbehaves in every way we know of: each
 * case asserts the stable code and the reason a user reads.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScrapeError } from '../../src/collect/errors.js';
import { fetchBody } from '../../src/collect/http.js';
import { captureProfiles } from '../../src/collect/profiles.js';
import { scrapeService, ScrapePlan } from '../../src/collect/scrape.js';
import type { ScrapeTarget } from '../../src/collect/target.js';

const here = dirname(fileURLToPath(import.meta.url));
const pprofFixture = (f: string): Buffer => readFileSync(join(here, '../fixtures/pprof/out123', f));
const HEAP_TEXT = pprofFixture('new_heap_debug1.txt');
const GOROUTINE_TEXT = pprofFixture('goroutine_debug1.txt');
const HEAP_PROTO = pprofFixture('new.pb.gz');
const GOROUTINE_PROTO = pprofFixture('goroutine.pb.gz');
const VARS = pprofFixture('vars.json');
const METRICS = readFileSync(join(here, '../fixtures/collect/target_metrics.txt'));
const INDEX = readFileSync(join(here, '../fixtures/collect/pprof_index_go119.html'));

/** Deterministic bytes that are not a protobuf of anything. */
function garbage(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A well-formed protobuf message that is not a Profile: {1: 1700000000, 2: 42} (a Timestamp). */
const TIMESTAMP_PROTO = Buffer.from([0x08, 0x80, 0xe2, 0xcf, 0xaa, 0x06, 0x10, 0x2a]);
const HTML_PAGE = '<!DOCTYPE html><html><head><title>Sign in - Corp SSO</title></head><body>Please sign in</body></html>';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const send = (body: Buffer | string, type = 'text/plain; charset=utf-8', status = 200): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
};

const routes: Record<string, Handler> = {
  '/ok/debug/pprof/heap?debug=1': send(HEAP_TEXT),
  '/ok/debug/pprof/goroutine?debug=1': send(GOROUTINE_TEXT),
  '/ok/debug/pprof/heap': send(HEAP_PROTO, 'application/octet-stream'),
  '/ok/debug/pprof/goroutine': send(GOROUTINE_PROTO, 'application/octet-stream'),
  '/ok/debug/pprof/': send(INDEX, 'text/html; charset=utf-8'),
  '/ok/debug/vars': send(VARS, 'application/json'),
  '/ok/metrics': send(METRICS),
  '/404': send('404 page not found\n', 'text/plain', 404),
  '/500': send('<html><head><title>500 Internal Server Error</title></head><body>boom</body></html>', 'text/html', 500),
  '/503-big': send(`<html><head><title>503 Service Unavailable</title></head><body>${'<p>busy</p>'.repeat(5000)}</body></html>`, 'text/html', 503),
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/login?next=%2Fdebug&session=s3cr3t' });
    res.end();
  },
  '/html': send(HTML_PAGE, 'text/html; charset=utf-8'),
  '/html-as-octets': send(HTML_PAGE, 'application/octet-stream'),
  // Headers never come.
  '/hang': () => {},
  // Headers at once, then one byte every 50 ms, forever.
  '/drip': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('#'), 50);
    res.on('close', () => clearInterval(timer));
  },
  '/big-declared': (_req, res) => {
    res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
    res.write('x'.repeat(1024));
  },
  '/big-chunked': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    let sent = 0;
    const pump = (): void => {
      while (sent < 8 * 1024 * 1024 && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  },
  '/gzip-encoded': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    res.end(gzipSync(GOROUTINE_TEXT));
  },
  '/gzip-encoded-bomb': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    res.end(gzipSync(Buffer.alloc(8 * 1024 * 1024)));
  },
  '/brotli': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'br' });
    res.end('x');
  },
  '/reset': (req) => req.socket.destroy(),
  '/short-body': (_req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('only a little');
    setTimeout(() => res.destroy(), 20);
  },
  '/bomb/heap': send(gzipSync(Buffer.alloc(20 * 1024 * 1024)), 'application/octet-stream'),
  '/truncated/heap': send(HEAP_PROTO.subarray(0, Math.floor(HEAP_PROTO.length / 2)), 'application/octet-stream'),
  '/garbage/heap': send(gzipSync(garbage(20_000)), 'application/octet-stream'),
  '/notprofile/heap': send(gzipSync(TIMESTAMP_PROTO), 'application/octet-stream'),
  '/wrongkind/heap': send(GOROUTINE_PROTO, 'application/octet-stream'),
  '/text/heap': send(HEAP_TEXT),
  '/mixed/debug/pprof/heap?debug=1': send(HTML_PAGE, 'text/html'),
  '/mixed/debug/pprof/': send(INDEX, 'text/html; charset=utf-8'),
  // A custom mux with the profile handlers but without pprof.Index.
  '/noindex/debug/pprof/heap?debug=1': send(HEAP_TEXT),
  '/noindex/debug/pprof/goroutine?debug=1': send(GOROUTINE_TEXT),
  '/nogo/metrics': send('# TYPE node_load1 gauge\nnode_load1 0.42\nprocess_resident_memory_bytes 1e+06\n'),
  '/echo-headers': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.headers));
  },
};

let server: http.Server;
let base = '';
/** Every path asked for, in order. */
const asked: string[] = [];
/** A port that was just bound and released: nothing listens there. */
let deadPort = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => (asked.push(req.url ?? ''), routes[req.url ?? ''] ?? send('404 page not found\n', 'text/plain; charset=utf-8', 404))(req, res));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const probe = http.createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((ok) => probe.close(() => ok()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
});

const OPTS = { timeoutMs: 400, maxBytes: 1024 * 1024 };

async function fetchError(url: string, opts: Partial<Parameters<typeof fetchBody>[1]> = {}): Promise<ScrapeError> {
  const e = await fetchBody(url, { ...OPTS, ...opts }).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ScrapeError);
  return e as ScrapeError;
}

describe('fetchBody: bad responses', () => {
  it.each<[string, () => string, Partial<Parameters<typeof fetchBody>[1]>, string, RegExp]>([
    ['target down (nothing listening)', () => `http://127.0.0.1:${deadPort}/debug/pprof/heap`, {}, 'refused', /^connection refused: nothing is listening on 127\.0\.0\.1:\d+$/],
    ['connection reset on accept', () => `${base}/reset`, {}, 'other', /^connection (reset|closed) by 127\.0\.0\.1:\d+/],
    ['unknown host', () => 'http://leakwatch-test.invalid/debug/pprof/heap', { timeoutMs: 10_000 }, 'dns', /^host name (not found|lookup failed).*\(DNS\): leakwatch-test\.invalid$/],
    ['404', () => `${base}/404`, {}, 'http_status', /^HTTP 404 Not Found: 404 page not found$/],
    ['500 with an HTML page', () => `${base}/500`, {}, 'http_status', /^HTTP 500 Internal Server Error: 500 Internal Server Error$/],
    ['503 with a large HTML page', () => `${base}/503-big`, {}, 'http_status', /^HTTP 503 Service Unavailable: 503 Service Unavailable$/],
    ['redirect (not followed, secrets redacted)', () => `${base}/redirect`, {}, 'http_status', /^HTTP 302 Found \(redirect to http:\/\/127\.0\.0\.1:\d+\/login\?next=\*\*\*&session=\*\*\*; redirects are not followed\)$/],
    ['no response (timeout)', () => `${base}/hang`, {}, 'timeout', /^timed out after 400 ms \(no response headers\)$/],
    ['slow drip that never ends', () => `${base}/drip`, {}, 'timeout', /^timed out after 400 ms \(body incomplete after [\d.]+ (B|KB|MB)\)$/],
    ['Content-Length over the cap', () => `${base}/big-declared`, {}, 'too_large', /^body is 10.5 MB \(Content-Length\), over the 1.05 MB cap \(maxBodySize\)$/],
    ['streamed body over the cap', () => `${base}/big-chunked`, { timeoutMs: 10_000 }, 'too_large', /^body passed the 1.05 MB cap \(maxBodySize\)$/],
    ['Content-Encoding gzip over the cap once inflated', () => `${base}/gzip-encoded-bomb`, {}, 'too_large', /^body passed the 1.05 MB cap \(maxBodySize\) once decompressed \(Content-Encoding: gzip\)$/],
    ['an encoding we did not ask for', () => `${base}/brotli`, {}, 'bad_format', /^unsupported Content-Encoding "br"$/],
    ['body cut short', () => `${base}/short-body`, {}, 'other', /(closed before the body was complete|reset by .* while reading the body)/],
    ['HTML page where text was expected', () => `${base}/html`, { expect: 'text' }, 'bad_format', /^expected a text response but got an HTML page \("Sign in - Corp SSO"\): is the URL right\?$/],
    ['HTML page (wrong content type) where a profile was expected', () => `${base}/html-as-octets`, { expect: 'proto' }, 'bad_format', /^expected a gzip'd pprof profile but got an HTML page/],
  ])('%s', async (_name, url, opts, code, reason) => {
    const e = await fetchError(url(), opts);
    expect({ code: e.code, message: e.message }).toMatchObject({ code, message: expect.stringMatching(reason) });
  });

  it('stops at once when the caller aborts', async () => {
    const ac = new AbortController();
    const p = fetchBody(`${base}/hang`, { ...OPTS, timeoutMs: 30_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const e = await p.then(() => undefined, (err: unknown) => err);
    expect(e).toMatchObject({ code: 'other', message: 'scrape aborted' });
  });

  it('inflates a body a proxy gzip-encoded anyway', async () => {
    expect((await fetchBody(`${base}/gzip-encoded`, OPTS)).equals(GOROUTINE_TEXT)).toBe(true);
  });

  it('sends the configured headers', async () => {
    const body = await fetchBody(`${base}/echo-headers`, { ...OPTS, headers: { Authorization: 'Bearer t0k3n' } });
    expect(JSON.parse(body.toString())).toMatchObject({ authorization: 'Bearer t0k3n' });
  });
});

describe('fetchBody: kept connections', () => {
  /** A target that counts its connections; `dropSecond` closes a kept one when its next request arrives. */
  async function countingServer(dropSecond: boolean): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
    let connections = 0;
    const srv = http.createServer((req, res) => {
      const n = ((req.socket as { served?: number }).served = ((req.socket as { served?: number }).served ?? 0) + 1);
      if (dropSecond && n === 2) return void req.socket.destroy(); // the idle-timeout race, forced
      send(GOROUTINE_TEXT)(req, res);
    });
    srv.keepAliveTimeout = 60_000;
    srv.on('connection', () => connections++);
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    return {
      url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/debug/pprof/goroutine?debug=1`,
      connections: () => connections,
      close: () => {
        srv.closeAllConnections();
        return new Promise<void>((ok) => srv.close(() => ok()));
      },
    };
  }

  it('reuses one connection for consecutive scrapes of a target', async () => {
    const t = await countingServer(false);
    for (let i = 0; i < 3; i++) expect((await fetchBody(t.url, OPTS)).equals(GOROUTINE_TEXT)).toBe(true);
    expect(t.connections()).toBe(1);
    await t.close();
  });

  it('retries once on a new connection when the target closed the kept one', async () => {
    const t = await countingServer(true);
    expect((await fetchBody(t.url, OPTS)).equals(GOROUTINE_TEXT)).toBe(true);
    expect((await fetchBody(t.url, OPTS)).equals(GOROUTINE_TEXT)).toBe(true);
    expect(t.connections()).toBe(2);
    await t.close();
  });
});

describe('captureProfiles: bad profiles are rejected before storage', () => {
  const svc = (prefix: string): ScrapeTarget => ({ name: 's', pprof: `${base}${prefix}`, timeout: 2000, maxBodySize: 1024 * 1024 });

  it.each<[string, string, string, RegExp]>([
    // Refused by its ratio a few KiB into the download, long before the 4 MiB cap.
    ['gzip bomb', '/bomb', 'too_large', /^heap profile: gzip bomb: [\d.]+ (B|KB|MB) of gzip inflated to over [\d.]+ MB \(refused past \d+:1\)$/],
    ['truncated gzip', '/truncated', 'bad_gzip', /^heap profile: decompressing profile: .*truncated/],
    ['valid gzip of garbage', '/garbage', 'bad_profile', /^heap profile: (parsing|malformed) profile: /],
    ['a proto that is not a profile', '/notprofile', 'bad_profile', /^heap profile: (parsing profile|malformed profile|expected a heap profile)/],
    ['a goroutine profile served as heap', '/wrongkind', 'bad_profile', /^heap profile: expected a heap profile \(sample type inuse_space\), got sample types \[goroutine\]$/],
    ['the debug=1 text instead of proto', '/text', 'bad_profile', /^heap profile: (parsing|malformed) profile: /],
    ['an unknown path (404)', '/nowhere', 'http_status', /^heap profile: HTTP 404 Not Found: 404 page not found$/],
  ])('%s', async (_name, prefix, code, reason) => {
    const { profiles, failures } = await captureProfiles(svc(prefix), ['heap']);
    expect(profiles).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ source: 'pprof', kind: 'heap', code, reason: expect.stringMatching(reason) });
  });

  it('returns good profiles as received, decoded, in the order asked', async () => {
    const { profiles, failures } = await captureProfiles(svc('/ok/debug/pprof'), ['goroutine', 'heap']);
    expect(failures).toEqual([]);
    expect(profiles.map((p) => p.kind)).toEqual(['goroutine', 'heap']);
    expect(profiles[1].data.equals(HEAP_PROTO)).toBe(true);
    expect(profiles[1].profile.sampleTypes.map((t) => t.type)).toEqual(['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']);
    expect(profiles[0].profile.sampleTypes.map((t) => t.type)).toEqual(['goroutine']);
  });
});

describe('scrapeService: one failing source does not lose the others', () => {
  const target = (over: Partial<ScrapeTarget>): ScrapeTarget => ({ name: 's', timeout: 1000, maxBodySize: 1024 * 1024, ...over });
  const bySource = (fs: { source: string }[]): unknown[] => [...fs].sort((a, b) => a.source.localeCompare(b.source));

  it('takes everything from /metrics when it has it: expvar and pprof are not asked, /proc still is', async () => {
    const from = asked.length;
    const r = await scrapeService(
      target({ pprof: `${base}/ok/debug/pprof`, expvar: `${base}/500`, metrics: `${base}/ok/metrics`, pid: 2 ** 22 + 1 }),
      undefined,
      { now: () => 1_800_000_000_000 },
    );
    expect(r.ok).toBe(true);
    expect(r.at).toBe(1_800_000_000_000);
    expect(asked.slice(from)).toEqual(['/ok/metrics']);
    expect(r.fetched).toEqual(['proc', 'metrics']);
    // rss comes from metrics since /proc failed.
    expect(r.sample).toMatchObject({ t: 1_800_000_000_000, heapAlloc: 1302744, sys: 18986248, goroutines: 4, rss: 11669504 });
    expect(bySource(r.failures)).toEqual([
      { source: 'proc', code: 'other', reason: `proc: process ${2 ** 22 + 1} is not running` },
    ]);
  });

  it('backs up a failing /metrics with expvar and the pprof index page in the same scrape', async () => {
    const from = asked.length;
    const r = await scrapeService(target({ pprof: `${base}/ok/debug/pprof`, expvar: `${base}/ok/debug/vars`, metrics: `${base}/500` }));
    expect(r.ok).toBe(true);
    expect(asked.slice(from).sort()).toEqual(['/500', '/ok/debug/pprof/', '/ok/debug/vars']);
    expect(r.sample).toMatchObject({ heapAlloc: 98216216, sys: 107077912, goroutines: 4 });
    expect(bySource(r.failures)).toEqual([
      { source: 'metrics', code: 'http_status', reason: 'metrics: HTTP 500 Internal Server Error: 500 Internal Server Error' },
    ]);
  });

  it('keeps the goroutine count when the heap page is HTML and /metrics has no Go metrics', async () => {
    const from = asked.length;
    const r = await scrapeService(target({ pprof: `${base}/mixed/debug/pprof`, metrics: `${base}/nogo/metrics` }));
    expect(r.ok).toBe(true);
    expect(asked.slice(from).sort()).toEqual(['/mixed/debug/pprof/', '/mixed/debug/pprof/heap?debug=1', '/nogo/metrics']);
    expect(r.sample).toMatchObject({ goroutines: 4 });
    expect(r.sample!.rss).toBeUndefined();
    expect(bySource(r.failures)).toEqual([
      { source: 'metrics', code: 'no_go_metrics', reason: expect.stringMatching(/^metrics: no Go runtime metrics/) },
      { source: 'pprof', code: 'bad_format', reason: expect.stringMatching(/^heap\?debug=1: expected a text response but got an HTML page \("Sign in - Corp SSO"\)/) },
    ]);
  });

  it('without an index page, reads the goroutine count from goroutine?debug=1, but only at the heap?debug=1 cadence', async () => {
    const plan = new ScrapePlan({ heapTextEveryMs: 60_000 });
    const s = target({ pprof: `${base}/noindex/debug/pprof` });
    let t = 1_800_000_000_000;
    const scrape = () => scrapeService(s, undefined, { plan, now: () => t });
    const first = await scrape();
    expect(first.fetched).toEqual(['pprofIndex', 'heapText', 'goroutineText']);
    expect(first.sample).toMatchObject({ heapAlloc: 95818784, goroutines: 11 });
    t += 15_000;
    const second = await scrape();
    expect(second.fetched).toEqual(['pprofIndex']);
    expect(second.ok).toBe(false);
    expect(second.failures).toEqual([{ source: 'pprof', code: 'http_status', reason: 'pprof index: HTTP 404 Not Found: 404 page not found' }]);
    t += 60_000;
    expect((await scrape()).fetched).toEqual(['pprofIndex', 'goroutineText', 'heapText']);
  });

  it('is not ok when every source fails, and lists each failure', async () => {
    const r = await scrapeService(target({ pprof: `http://127.0.0.1:${deadPort}/debug/pprof`, expvar: `${base}/404` }));
    expect(r.ok).toBe(false);
    expect(r.sample).toBeUndefined();
    expect(r.failures.map((f) => `${f.source} ${f.code} ${f.reason.split(':')[0]}`).sort()).toEqual([
      'expvar http_status expvar',
      'pprof refused goroutine?debug=1',
      'pprof refused heap?debug=1',
      'pprof refused pprof index',
    ]);
  });

  it('streams heap?debug=1 under the body cap and refuses one over it', async () => {
    const ok = await scrapeService(target({ pprof: `${base}/ok/debug/pprof`, maxBodySize: HEAP_TEXT.length }));
    expect(ok.sample).toMatchObject({ heapAlloc: 95818784, sys: 106815768, goroutines: 4 });
    const over = await scrapeService(target({ pprof: `${base}/ok/debug/pprof`, maxBodySize: HEAP_TEXT.length - 1 }));
    expect(over.failures).toEqual([{ source: 'pprof', code: 'too_large', reason: expect.stringMatching(/^heap\?debug=1: body passed the .* cap \(maxBodySize\)$/) }]);
  });
});
