import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/log/log.js';
import { listening } from '../helpers/http.js';
import { type Health, type HealthSource, type HttpServer } from '../../src/web/server.js';
import type { MetricsSnapshot } from '../../src/web/metrics.js';

function source(health: Partial<Health> | (() => Health) = {}): HealthSource {
  const snap: MetricsSnapshot = {
    services: [{
      name: 'checkout', state: 'ok', scrapesTotal: 5, failuresTotal: { timeout: 1 }, lastScrapeDurationSeconds: 0.01,
      lastSampleAgeSeconds: 3, slopesPerHour: { heap: 12.5 }, openIncidents: 0,
    }],
    outboxDepth: 0,
  };
  return {
    health: typeof health === 'function' ? health : () => ({
      ok: true, db: true, services: [{ name: 'checkout', lastScrapeAt: 1_700_000_000_000, ageSeconds: 3, fresh: true, state: 'ok' }], ...health,
    }),
    metrics: () => snap,
  };
}

let running: HttpServer | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('http server: /healthz and /metrics', () => {
  it('serves 200 JSON health when ok', async () => {
    running = await listening({ listen: '127.0.0.1:0', source: source(), log: silentLogger });
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${running.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Health;
    expect(body.ok).toBe(true);
    expect(body.services[0]).toMatchObject({ name: 'checkout', fresh: true, state: 'ok' });
  });

  it('serves 503 when unhealthy, and when the health check itself throws', async () => {
    running = await listening({ listen: '127.0.0.1:0', source: source({ ok: false, db: false }), log: silentLogger });
    const res = await fetch(`${running.url}/healthz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as Health).db).toBe(false);
    await running.stop();

    running = await listening({
      listen: '127.0.0.1:0', log: silentLogger,
      source: source(() => { throw new Error('database is locked'); }),
    });
    const res2 = await fetch(`${running.url}/healthz`);
    expect(res2.status).toBe(503);
    expect(await res2.json()).toEqual({ ok: false, error: 'health check failed: database is locked' });
  });

  it('serves Prometheus text with leakwatch and process metrics', async () => {
    running = await listening({ listen: '127.0.0.1:0', source: source(), log: silentLogger });
    const res = await fetch(`${running.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('leakwatch_scrape_failures_total{service="checkout",code="timeout"} 1\n');
    expect(text).toContain('leakwatch_slope_per_hour{service="checkout",metric="heap"} 12.5\n');
    const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1]);
    expect(rss).toBeGreaterThan(1_000_000);
    expect(Number(/^process_open_fds (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });

  it('answers HEAD without a body, 404 for unknown paths and 405 for wrong methods', async () => {
    running = await listening({ listen: '127.0.0.1:0', source: source(), log: silentLogger });
    const head = await fetch(`${running.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${running.url}/nope`)).status).toBe(404);
    const post = await fetch(`${running.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('serves extra routes from the route table with path parameters', async () => {
    running = await listening({
      listen: '127.0.0.1:0', source: source(), log: silentLogger,
      routes: [{ method: 'GET', path: '/api/services/:name', handle: (req) => ({ status: 200, body: `svc=${req.params.name}` }) }],
    });
    expect(await (await fetch(`${running.url}/api/services/check%20out`)).text()).toBe('svc=check out');
  });
});

describe('http server: access control', () => {
  it('refuses to start on a non-loopback address without a token', async () => {
    await expect(listening({ listen: '0.0.0.0:0', source: source(), log: silentLogger })).rejects.toThrow(
      /0\.0\.0\.0:0 is not a loopback address; set http\.token/,
    );
  });

  it('requires the bearer token on every request once a token is set, and never logs it', async () => {
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (d: Buffer) => (logged += d.toString()));
    const log = createLogger({ level: 'debug', format: 'text', stream, journal: false });
    running = await listening({ listen: '127.0.0.1:0', token: 'tok-123', source: source(), log });
    for (const path of ['/healthz', '/metrics', '/nope']) {
      const none = await fetch(`${running.url}${path}`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await fetch(`${running.url}${path}`, { headers: { authorization: 'Bearer tok-124' } });
      expect(wrong.status).toBe(401);
    }
    const ok = await fetch(`${running.url}/healthz`, { headers: { authorization: 'Bearer tok-123' } });
    expect(ok.status).toBe(200);
    expect(logged).toContain('http listening');
    expect(logged).not.toContain('tok-123');
  });

  it('reports a port already in use with the stage in the message', async () => {
    running = await listening({ listen: '127.0.0.1:0', source: source(), log: silentLogger });
    const port = new URL(running.url!).port;
    await expect(listening({ listen: `127.0.0.1:${port}`, source: source(), log: silentLogger })).rejects.toThrow(
      new RegExp(`http: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
    );
  });

  it('applyConfig: a new token is required from the next request, the old one refused', async () => {
    running = await listening({ listen: '127.0.0.1:0', token: 'old-token', source: source(), log: silentLogger });
    const url = running.url!;
    const as = (token: string) => fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await as('old-token')).toBe(200);
    await running.applyConfig({ listen: '127.0.0.1:0', token: 'new-token' });
    expect(running.url).toBe(url);
    expect(await as('old-token')).toBe(401);
    expect(await as('new-token')).toBe(200);
  });

  it('applyConfig: a new listen address rebinds (the old port is closed); a refused one keeps the old listener', async () => {
    const probe = await listening({ listen: '127.0.0.1:0', source: source(), log: silentLogger });
    const free = new URL(probe.url!).port;
    await probe.stop();
    running = await listening({ listen: '127.0.0.1:0', source: source(), log: silentLogger });
    const old = running.url!;
    await running.applyConfig({ listen: `127.0.0.1:${free}` });
    expect(running.url).toBe(`http://127.0.0.1:${free}`);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    await expect(fetch(`${old}/healthz`)).rejects.toThrow();

    await expect(running.applyConfig({ listen: '0.0.0.0:0' })).rejects.toThrow(/not a loopback address/);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });
});
