/**
 * The dashboard and JSON API over real HTTP, against a real SQLite store written through the
 * store APIs the daemon uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKING_FN, EVIL_SERVICE, HEAP_PROFILE_INUSE, LEAKING_FN, startWebFixture, type WebFixture } from './web-fixture.js';

let fx: WebFixture;
beforeAll(async () => {
  fx = await startWebFixture();
});
afterAll(async () => {
  await fx?.close();
});

const get = (path: string, init?: RequestInit) => fetch(`${fx.url}${path}`, init);
const getJson = async (path: string) => {
  const res = await get(path);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe('JSON API', () => {
  it('GET /api/status has the shape of `leakwatch status --json`', async () => {
    const { status, body } = await getJson('/api/status');
    expect(status).toBe(200);
    expect(body.services.map((s: { name: string }) => s.name)).toEqual(['checkout', 'idle']);
    const checkout = body.services[0];
    expect(checkout).toMatchObject({ name: 'checkout', state: 'leaking', openIncidents: 1, samples: 181 });
    expect(Date.parse(checkout.lastScrapeAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(Object.keys(checkout.latest).sort()).toEqual(['goroutines', 'heapAlloc', 'heapInuse', 'rss', 'sys']);
    expect(checkout.trends.heap.slopePerHour).toBeGreaterThan(10e6);
    expect(checkout.trends.heap.confidence).toBeGreaterThan(0.9);
    expect(body.services[1]).toMatchObject({ name: 'idle', state: 'warming', lastScrapeAt: null, samples: 0, latest: {}, openIncidents: 0 });
  });

  it('GET /api/incidents lists incidents with top growth and deliveries, filtered by ?service=', async () => {
    const all = await getJson('/api/incidents');
    expect(all.status).toBe(200);
    expect(all.body.incidents.map((i: { id: number }) => i.id)).toEqual([fx.evilIncidentId, fx.heapIncidentId]);
    const only = await getJson('/api/incidents?service=checkout');
    expect(only.body.incidents).toHaveLength(1);
    const inc = only.body.incidents[0];
    expect(inc).toMatchObject({ id: fx.heapIncidentId, service: 'checkout', metric: 'heap', resolvedAt: null, timeToLimit: expect.stringMatching(/^\d+(\.\d)?h$/) });
    expect(inc.topGrowth[0]).toMatchObject({ function: LEAKING_FN, deltaBytes: 9.5e6, deltaObjects: 9500 });
    expect(inc.topGoroutines[0]).toMatchObject({ function: BLOCKING_FN, delta: 120 });
    expect(inc.deliveries).toEqual([
      { channel: 'ops-slack', event: 'open', status: 'sent', attempts: 1 },
      { channel: 'oncall-mail', event: 'open', status: 'pending', attempts: 1, lastError: 'connect ECONNREFUSED 127.0.0.1:25' },
    ]);
    expect((await getJson('/api/incidents?service=nope')).status).toBe(404);
  });

  it('GET /api/incidents/:id answers one incident, 404 for unknown or malformed ids', async () => {
    const one = await getJson(`/api/incidents/${fx.heapIncidentId}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: fx.heapIncidentId, service: 'checkout' });
    for (const bad of ['999999', 'abc', '0', '1e3', '-1']) {
      const r = await getJson(`/api/incidents/${bad}`);
      expect(r.status, bad).toBe(404);
      expect(r.body.error).toContain(bad);
    }
  });

  it('GET /api/services/:name/samples answers trace-format lines for a range', async () => {
    const def = await getJson('/api/services/checkout/samples');
    expect(def.status).toBe(200);
    expect(Array.isArray(def.body)).toBe(true);
    // The default range is the service's window (1h at one sample per 30 s).
    expect((def.body as unknown[]).length).toBeGreaterThanOrEqual(120);
    expect((def.body as unknown[]).length).toBeLessThanOrEqual(121);
    const line = (def.body as Record<string, unknown>[])[0]!;
    expect(line.t).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(line.processStart).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(typeof line.heapAlloc).toBe('number');

    const to = Date.now() - 60 * 60_000;
    const from = to - 10 * 60_000;
    const range = await getJson(`/api/services/checkout/samples?from=${new Date(from).toISOString()}&to=${to}`);
    const ts = (range.body as { t: string }[]).map((l) => Date.parse(l.t));
    expect(ts.length).toBeGreaterThanOrEqual(19);
    expect(ts.length).toBeLessThanOrEqual(21);
    expect(Math.min(...ts)).toBeGreaterThanOrEqual(from);
    expect(Math.max(...ts)).toBeLessThanOrEqual(to);

    const rel = await getJson('/api/services/checkout/samples?from=-5m');
    expect((rel.body as unknown[]).length).toBeGreaterThanOrEqual(9);
    expect((rel.body as unknown[]).length).toBeLessThanOrEqual(11);

    const bad = await getJson('/api/services/checkout/samples?from=yesterday-ish');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('from');
    expect((await getJson('/api/services/nope/samples')).status).toBe(404);
  });

  it('GET /api/services/:name/explain has the shape of `leakwatch explain --json`', async () => {
    const { status, body } = await getJson('/api/services/checkout/explain');
    expect(status).toBe(200);
    expect(body.service).toBe('checkout');
    expect(Object.keys(body.parts).sort()).toEqual(['fragmentation', 'gcMetadata', 'idleRetained', 'liveHeap', 'nonGo', 'otherRuntime', 'stacks']);
    expect(body.parts.nonGo).toBe(15e6);
    expect(body.summary).toContain('The Go runtime holds');
    expect((await getJson('/api/services/idle/explain')).status).toBe(404);
    expect((await getJson('/api/services/nope/explain')).status).toBe(404);
  });

  it('GET /api/services/:name/explain compares with the latest heap profile, decoded once and then cached', async () => {
    const first = await getJson('/api/services/checkout/explain');
    const second = await getJson('/api/services/checkout/explain'); // the same profile id: answered from the cache
    expect(first.status).toBe(200);
    expect(Math.abs(first.body.liveHeapFromProfile - HEAP_PROFILE_INUSE)).toBeLessThan(10);
    expect(second.body.liveHeapFromProfile).toBe(first.body.liveHeapFromProfile);
    expect(second.body).toEqual(first.body);
    // A service without stored profiles has nothing to compare with.
    expect((await getJson(`/api/services/${encodeURIComponent(EVIL_SERVICE)}/explain`)).body.liveHeapFromProfile).toBeUndefined();
  });
});

describe('dashboard pages', () => {
  const page = async (path: string) => {
    const res = await get(path);
    return { status: res.status, type: res.headers.get('content-type'), csp: res.headers.get('content-security-policy'), text: await res.text() };
  };

  it('the overview lists every configured service with state, values, trends and links', async () => {
    const p = await page('/');
    expect(p.status).toBe(200);
    expect(p.type).toBe('text/html; charset=utf-8');
    expect(p.csp).toContain("script-src 'sha256-");
    expect(p.text).toMatch(/<tr data-service="checkout">[\s\S]*?state-leaking[\s\S]*?<\/tr>/);
    expect(p.text).toMatch(/<tr data-service="idle">[\s\S]*?state-warming[\s\S]*?never[\s\S]*?<\/tr>/);
    expect(p.text).toContain('href="./services/checkout"');
    expect(p.text).toContain(`href="./incidents/${fx.heapIncidentId}"`);
    expect(p.text).toMatch(/heap<\/span> \+\d+(\.\d+)? MB\/h/);
  });

  it('a service page charts the heap floor against HeapAlloc, Sys, RSS and goroutines, explains memory, lists incidents', async () => {
    const p = await page('/services/checkout');
    expect(p.status).toBe(200);
    for (const series of ['HeapAlloc', 'heap floor (trended)', 'Sys', 'RSS', 'goroutines']) {
      expect(p.text).toMatch(new RegExp(`<path class="series" data-series="${series.replace(/[()]/g, '\\$&')}" d="M[\\d.]+ [\\d.]+L`));
    }
    expect(p.text).toContain(`#${fx.heapIncidentId} opened`);
    expect(p.text).toContain('outside the Go runtime');
    expect(p.text).toContain(LEAKING_FN);
    expect(p.text).toContain('; the latest heap profile shows 39.1 MB.');
  });

  it('the incident page says what grows, who grew, where alerts went and what to run next', async () => {
    const p = await page(`/incidents/${fx.heapIncidentId}`);
    expect(p.status).toBe(200);
    expect(p.text).toContain('Go heap (post-GC floor)');
    expect(p.text).toContain('+16 MB/h'); // the conservative bound: 0.8 × 20 MB/h
    expect(p.text).toContain('99.7%');
    expect(p.text).toMatch(/~\d+(\.\d)? [hd] \(limit 2 GB\)/);
    expect(p.text).toContain(`<td class="fn">${LEAKING_FN}</td><td class="num">+9.5 MB</td>`);
    expect(p.text).toContain('95%');
    expect(p.text).toContain(`blocked in <code class="fn blocking">${BLOCKING_FN}</code>`);
    expect(p.text).toMatch(/ops-slack<\/td><td>open<\/td><td class="status-sent">sent<\/td>\s*<td class="num">1<\/td>/);
    expect(p.text).toContain('ECONNREFUSED');
    expect(p.text).toContain('leakwatch diff checkout -o diff.pb.gz &amp;&amp; go tool pprof -top diff.pb.gz');
  });

  it('escapes service names, function names and notes everywhere', async () => {
    const overview = await page('/');
    const incident = await page(`/incidents/${fx.evilIncidentId}`);
    const service = await page(`/services/${encodeURIComponent(EVIL_SERVICE)}`);
    expect(service.status).toBe(200);
    for (const p of [overview, incident, service]) {
      expect(p.text).not.toContain('<script>alert(1)');
      expect(p.text).not.toContain('<img src=x');
      expect(p.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    expect(incident.text).toContain('main.&lt;img src=x onerror=alert(2)&gt;');
    expect(incident.text).toContain('note with &lt;b&gt;markup&lt;/b&gt; &amp; &quot;quotes&quot;');
    // Links to the service keep the name as one path segment.
    expect(overview.text).toContain(`href="./services/${encodeURIComponent(EVIL_SERVICE)}"`);
    expect(incident.text).toContain(`href="../services/${encodeURIComponent(EVIL_SERVICE)}"`);
    // The only <script> element is the page's own.
    expect(service.text.match(/<script>/g)).toHaveLength(1);
  });

  it('a configured service without samples says so instead of drawing empty charts', async () => {
    const p = await page('/services/idle');
    expect(p.status).toBe(200);
    expect(p.text).toContain('No samples in the window yet.');
    expect(p.text).toContain('no samples yet');
    expect(p.text).not.toContain('<path class="series"');
  });

  it('unknown services and incidents get a 404 page', async () => {
    for (const path of ['/services/nope', '/incidents/424242', '/incidents/abc']) {
      const p = await page(path);
      expect(p.status, path).toBe(404);
      expect(p.type).toBe('text/html; charset=utf-8');
      expect(p.text).toContain('<h1>Not found</h1>');
    }
    const escaped = await page(`/services/${encodeURIComponent('<b>x</b>')}`);
    expect(escaped.status).toBe(404);
    expect(escaped.text).toContain('&lt;b&gt;x&lt;/b&gt;');
  });

  it('is read-only: other methods are refused', async () => {
    for (const path of ['/', '/api/status', `/incidents/${fx.heapIncidentId}`]) {
      const res = await get(path, { method: 'POST', body: 'x' });
      expect(res.status, path).toBe(405);
    }
  });
});

describe('with http.token set', () => {
  let secured: WebFixture;
  beforeAll(async () => {
    secured = await startWebFixture({ token: 's3cret-token' });
  });
  afterAll(async () => {
    await secured?.close();
  });

  it('every dashboard and API route needs the bearer token', async () => {
    const paths = ['/', '/services/checkout', `/incidents/${secured.heapIncidentId}`, '/api/status', '/api/incidents',
      `/api/incidents/${secured.heapIncidentId}`, '/api/services/checkout/samples', '/api/services/checkout/explain', '/services/nope'];
    for (const path of paths) {
      const none = await fetch(`${secured.url}${path}`);
      expect(none.status, path).toBe(401);
      const wrong = await fetch(`${secured.url}${path}`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status, path).toBe(401);
    }
    const ok = await fetch(`${secured.url}/incidents/${secured.heapIncidentId}`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(LEAKING_FN);
  });
});

describe('with the daemon\'s live verdicts', () => {
  let live: WebFixture;
  beforeAll(async () => {
    live = await startWebFixture({
      live: (name) => name === 'checkout'
        ? { state: 'ok', trends: { heap: { slopePerHour: 123e6, lowerPerHour: 100e6, upperPerHour: 150e6, confidence: 0.5, current: 1, n: 9, timeToLimitHours: 7 } } }
        : undefined,
    });
  });
  afterAll(async () => {
    await live?.close();
  });

  it('/api/status and the overview use the running fits instead of refitting, with the same shape', async () => {
    const body = (await (await fetch(`${live.url}/api/status`)).json()) as { services: Record<string, any>[] };
    const [checkout, idle] = body.services;
    expect(checkout).toMatchObject({ name: 'checkout', state: 'leaking', openIncidents: 1, samples: 181 });
    expect(checkout!.trends).toEqual({ heap: { slopePerHour: 123e6, lowerPerHour: 100e6, confidence: 0.5, timeToLimitHours: 7 } });
    expect(Object.keys(checkout!.latest).sort()).toEqual(['goroutines', 'heapAlloc', 'heapInuse', 'rss', 'sys']);
    // No live verdict for this one: it is computed from the store as `leakwatch status` does.
    expect(idle).toMatchObject({ name: 'idle', state: 'warming', samples: 0 });
    expect(await (await fetch(`${live.url}/`)).text()).toContain('heap</span> +123 MB/h');
  });
});
