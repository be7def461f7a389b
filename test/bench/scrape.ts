/**
 * Collector bench: parser throughput on recorded Go responses, and scrape latency of
 * scrapeService against a local server replaying them (one service, then 200 at once).
 * Run: npm run bench:build && node .bench/test/bench/scrape.js
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExpvar } from '../../src/collect/expvar.js';
import { parseGoroutineCount } from '../../src/collect/goroutine-text.js';
import { parseHeapText } from '../../src/collect/heap-text.js';
import { parsePrometheus } from '../../src/collect/prometheus.js';
import { scrapeService } from '../../src/collect/scrape.js';
import { ROOT } from './paths.js';

const fixtures = join(ROOT, 'test/fixtures');

function perOp(fn: () => unknown, minMs = 300): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  return (performance.now() - start) / n;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function runScrapeBench(): Promise<string> {
  const vars = readFileSync(join(fixtures, 'pprof/out123/vars.json'), 'utf8');
  const heapText = readFileSync(join(fixtures, 'pprof/out123/new_heap_debug1.txt'), 'utf8');
  const goroutineText = readFileSync(join(fixtures, 'pprof/out123/goroutine_debug1.txt'), 'utf8');
  const metricsText = readFileSync(join(fixtures, 'collect/target_metrics.txt'), 'utf8');
  const lines: string[] = ['parser                         bytes     µs/op     MB/s'];
  const row = (name: string, text: string, fn: () => unknown): void => {
    const us = perOp(fn) * 1000;
    lines.push(`${name.padEnd(28)} ${String(text.length).padStart(8)} ${us.toFixed(2).padStart(9)} ${(text.length / us).toFixed(0).padStart(8)}`);
  };
  row('parseExpvar (vars.json)', vars, () => parseExpvar(vars));
  row('JSON.parse (same, reference)', vars, () => JSON.parse(vars));
  row('parseHeapText (whole body)', heapText, () => parseHeapText(heapText));
  row('parseGoroutineCount', goroutineText, () => parseGoroutineCount(goroutineText));
  row('parsePrometheus', metricsText, () => parsePrometheus(metricsText));

  const bodies: Record<string, string> = {
    '/debug/pprof/heap?debug=1': heapText,
    '/debug/pprof/goroutine?debug=1': goroutineText,
    '/debug/vars': vars,
    '/metrics': metricsText,
  };
  const server = http.createServer((req, res) => {
    const body = bodies[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const svc = {
    name: 'bench', pprof: `${base}/debug/pprof`, expvar: `${base}/debug/vars`, metrics: `${base}/metrics`,
    pid: process.pid, timeout: 5000, maxBodySize: 64 << 20,
  };
  try {
    const latencies: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      const r = await scrapeService(svc);
      if (!r.ok || r.failures.length) throw new Error(`bench scrape failed: ${JSON.stringify(r.failures)}`);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    lines.push('', 'scrapeService (pprof heap+goroutine text, expvar, metrics, /proc; 5 fetches) on loopback');
    lines.push(`  one service, 300 sequential scrapes: p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms`);
    const t0 = performance.now();
    const round = await Promise.all(Array.from({ length: 200 }, () => scrapeService(svc)));
    const wall = performance.now() - t0;
    lines.push(`  200 services at once: ${wall.toFixed(0)} ms wall, ${round.filter((r) => r.ok && !r.failures.length).length}/200 clean`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
  const out = lines.join('\n');
  console.log(out);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runScrapeBench();
}
