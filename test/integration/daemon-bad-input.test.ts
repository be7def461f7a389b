/**
 * Issue 2, acceptance 4: the real daemon with one healthy service and many broken ones. Each
 * failure is recorded with its reason, nothing is lost, and the healthy service keeps its schedule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { cli, sleep, startDaemon, tempDir, writeConfig } from '../helpers/daemon.js';
import { startReplayTarget, type ReplayTarget } from '../../src/demo/target.js';
import { Store } from '../../src/store/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (f: string) => readFileSync(join(here, '../fixtures/pprof/out123', f));
const HEAP_TEXT = fixture('new_heap_debug1.txt');
const INDEX = readFileSync(join(here, '../fixtures/collect/pprof_index_go119.html'));
const HEAP_PROTO = fixture('new.pb.gz');

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const send = (body: Buffer | string, type = 'text/plain; charset=utf-8', status = 200): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': type }).end(body);
};
const okText: Record<string, Handler> = {
  '/debug/pprof/heap?debug=1': send(HEAP_TEXT),
  '/debug/pprof/': send(INDEX, 'text/html; charset=utf-8'),
};
const withHeap = (heap: Handler): Record<string, Handler> => ({ ...okText, '/debug/pprof/heap': heap });
let x = 7;
const garbage = Buffer.from(Array.from({ length: 20_000 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24)));

/** Each broken service, the source and code its failure must be recorded with. */
const BROKEN: Record<string, { routes: Record<string, Handler>; source: 'pprof' | 'metrics'; code: string; profile?: boolean }> = {
  e404: { routes: {}, source: 'pprof', code: 'http_status' },
  e500: { routes: { '/debug/pprof/heap?debug=1': send('<html><title>500</title></html>', 'text/html', 500) }, source: 'pprof', code: 'http_status' },
  html: { routes: { '/debug/pprof/heap?debug=1': send('<!DOCTYPE html><html>Sign in</html>', 'text/html'), '/debug/pprof/': send('<!DOCTYPE html><html>Sign in</html>', 'text/html') }, source: 'pprof', code: 'bad_format' },
  drip: {
    routes: {
      '/debug/pprof/heap?debug=1': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const t = setInterval(() => res.write('#'), 100);
        res.on('close', () => clearInterval(t));
      },
    },
    source: 'pprof',
    code: 'timeout',
  },
  huge: { routes: { '/debug/pprof/heap?debug=1': send(Buffer.alloc(3 << 20, 0x23)) }, source: 'pprof', code: 'too_large' },
  bomb: { routes: withHeap(send(gzipSync(Buffer.alloc(64 << 20)), 'application/octet-stream')), source: 'pprof', code: 'too_large', profile: true },
  truncated: { routes: withHeap(send(HEAP_PROTO.subarray(0, HEAP_PROTO.length >> 1), 'application/octet-stream')), source: 'pprof', code: 'bad_gzip', profile: true },
  garbage: { routes: withHeap(send(gzipSync(garbage), 'application/octet-stream')), source: 'pprof', code: 'bad_profile', profile: true },
  notprofile: { routes: withHeap(send(gzipSync(Buffer.from([0x08, 0x80, 0xe2, 0xcf, 0xaa, 0x06, 0x10, 0x2a])), 'application/octet-stream')), source: 'pprof', code: 'bad_profile', profile: true },
  nogo: { routes: { '/metrics': send('# TYPE node_load1 gauge\nnode_load1 0.42\n') }, source: 'metrics', code: 'no_go_metrics' },
};

describe('daemon with broken targets', () => {
  let server: http.Server;
  let good: ReplayTarget;
  let dir: string;
  let configPath: string;
  let exitCode: number | null;
  let logs = '';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const [, svc, ...rest] = (req.url ?? '').split('/');
      const handler = BROKEN[svc!]?.routes['/' + rest.join('/')] ?? send('404 page not found\n', 'text/plain', 404);
      handler(req, res);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const bad = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    good = await startReplayTarget(join(here, '../../config/demo/recording.jsonl.gz'));
    dir = tempDir();
    const services = [
      `  - name: good\n    pprof: ${good.base}/debug/pprof\n    metrics: ${good.base}/metrics`,
      `  - name: down\n    pprof: http://127.0.0.1:9/debug/pprof`,
      ...Object.entries(BROKEN).map(([name, b]) =>
        b.source === 'metrics' ? `  - name: ${name}\n    metrics: ${bad}/${name}/metrics` : `  - name: ${name}\n    pprof: ${bad}/${name}/debug/pprof`,
      ),
    ];
    configPath = writeConfig(
      dir,
      `database: ${join(dir, 'lw.db')}
defaults:
  schedule: "* * * * * *"
  profileSchedule: "* * * * * *"
  timeout: 1s
  maxBodySize: 1MiB
  window: 1h
services:
${services.join('\n')}
`,
    );
    const daemon = startDaemon(configPath);
    await daemon.waitForLog(/leakwatch started/);
    await sleep(6_500);
    exitCode = await daemon.stop();
    logs = daemon.logs();
  }, 60_000);

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await good?.close();
  });

  it('keeps the healthy service on its one-second schedule and survives', () => {
    expect(exitCode).toBe(0);
    const store = Store.open(join(dir, 'lw.db'));
    try {
      expect(store.samples('good').length).toBeGreaterThanOrEqual(5);
      expect(store.listProfiles('good', { kind: 'heap' }).length).toBeGreaterThanOrEqual(4);
      expect(store.recentScrapes('good', 100).every((s) => s.ok)).toBe(true);
    } finally {
      store.close();
    }
  });

  it('records each broken target with its reason, every time it is due', () => {
    const store = Store.open(join(dir, 'lw.db'));
    try {
      const down = store.recentScrapes('down', 100);
      expect(down.length).toBeGreaterThanOrEqual(4);
      expect(down.every((s) => !s.ok && /refused/i.test(s.reason ?? ''))).toBe(true);
      for (const [name, b] of Object.entries(BROKEN)) {
        const rows = store.recentScrapes(name, 100);
        const failed = rows.filter((r) => (r.failures as { source: string; code: string }[] | undefined)?.some((f) => f.source === b.source && f.code === b.code));
        expect(failed.length, `${name}: ${JSON.stringify(rows.slice(-1))}`).toBeGreaterThanOrEqual(3);
        for (const r of failed) expect(r.reason, name).toMatch(/\w{4,}/);
        if (b.profile) {
          expect(store.listProfiles(name).length, `${name} stored a bad profile`).toBe(0);
          expect(store.samples(name).length, `${name} lost its MemStats`).toBeGreaterThanOrEqual(4);
        }
      }
    } finally {
      store.close();
    }
  });

  it('logs a dead target once per minute, not once per scrape', () => {
    const lines = logs.split('\n').filter((l) => l.includes('scrape failed') && l.includes('service=down'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/refused/i);
  });

  it('shows unreachable services and why in status', () => {
    const r = cli(['status', '--json', '--config', configPath]);
    expect(r.code).toBe(0);
    const { services } = JSON.parse(r.stdout) as { services: { name: string; state: string; lastScrapeError?: string }[] };
    const down = services.find((s) => s.name === 'down')!;
    expect(down.state).toBe('unreachable');
    expect(down.lastScrapeError).toMatch(/refused/i);
    expect(services.find((s) => s.name === 'good')!.state).not.toBe('unreachable');
  });
});
