/**
 * Footprint bench, fleet variant: the real daemon discovers FOOTPRINT_TARGETS (default 1,000)
 * services through a Prometheus HTTP API and reads their samples from it (`samples: prometheus`).
 * The API is a small in-process server speaking /api/v1/targets, /api/v1/series and
 * /api/v1/query_range over synthetic series (a real Prometheus with 1,000 live Go targets does not
 * fit on a bench machine); it counts every request, which is the load leakwatch puts on Prometheus.
 * Profiles are off (`template.pprof: null`): the targets do not exist.
 * Prints the daemon's CPU, RSS, and queries per second, at the backfill and in steady state.
 *
 *   npm run build && npm run bench:footprint:prometheus
 *   FOOTPRINT_MINUTES=3 FOOTPRINT_TARGETS=1000 FOOTPRINT_SCHEDULE="*\/15 * * * * *" FOOTPRINT_WINDOW_SECONDS=1800
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcStat, parseProcStatus, sumMetric } from './footprint-stats.js';
import { PRODUCT_CLI } from './paths.js';

const minutes = Number(process.env.FOOTPRINT_MINUTES ?? '3');
const count = Number(process.env.FOOTPRINT_TARGETS ?? '1000');
const schedule = process.env.FOOTPRINT_SCHEDULE ?? '*/15 * * * * *';
const windowSeconds = Number(process.env.FOOTPRINT_WINDOW_SECONDS ?? '1800');
const cli = process.env.FOOTPRINT_CLI ?? PRODUCT_CLI;

const instance = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`;

/** A plausible value of a metric for target i at time t (seconds): a steady heap sawing, target 0 leaking. */
function value(metric: string, i: number, t: number): number {
  const saw = ((t + i) % 60) / 60;
  const base = 40e6 + (i % 17) * 1e6 + (i === 0 ? (t % 1e6) * 2000 : 0);
  switch (metric) {
    case 'go_memstats_heap_alloc_bytes': return base * (1 + saw);
    case 'go_memstats_next_gc_bytes': return base * 2;
    case 'go_memstats_sys_bytes': return base * 2.5;
    case 'go_goroutines': return 50 + (i % 7);
    case 'process_resident_memory_bytes': return base * 2.2;
    case 'process_start_time_seconds': return 1_700_000_000 + i;
    case 'go_gc_duration_seconds_count': return Math.floor((t + i) / 60);
    case 'go_memstats_alloc_bytes_total': return t * 1e6;
    case 'go_gc_gogc_percent': return 100;
    case 'go_gc_gomemlimit_bytes': return 9.223372036854776e18;
    default: return base;
  }
}

interface FakePrometheus {
  url: string;
  requests: Map<string, number>;
  close(): Promise<void>;
}

async function startFakePrometheus(n: number): Promise<FakePrometheus> {
  const requests = new Map<string, number>();
  const labels = (i: number) => ({ job: 'svc', instance: instance(i) });
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.set(u.pathname, (requests.get(u.pathname) ?? 0) + 1);
    const reply = (data: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data }));
    };
    if (u.pathname === '/api/v1/targets') {
      return reply({ activeTargets: Array.from({ length: n }, (_, i) => ({ labels: labels(i), scrapeUrl: `http://${instance(i)}/metrics`, health: 'up' })), droppedTargets: [] });
    }
    if (u.pathname === '/api/v1/series') return reply(Array.from({ length: n }, (_, i) => ({ __name__: 'go_memstats_heap_alloc_bytes', ...labels(i) })));
    if (u.pathname === '/api/v1/query_range') {
      const metric = (u.searchParams.get('query') ?? '').replace(/\{.*$/, '');
      const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(u.searchParams.get(k)));
      const times: number[] = [];
      for (let t = start!; t <= end! && times.length < 11_000; t += step!) times.push(t);
      // Written piecewise: a 1,000-series matrix over a whole window is tens of MB of JSON.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":{"resultType":"matrix","result":[');
      for (let i = 0; i < n; i++) {
        const values = times.map((t) => `[${t},"${value(metric, i, t)}"]`).join(',');
        res.write(`${i ? ',' : ''}{"metric":${JSON.stringify({ __name__: metric, ...labels(i) })},"values":[${values}]}`);
      }
      return res.end(']}}');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((ok) => server.close(() => ok())) };
}

function cpuAndRss(pid: number): { cpuTicks: number; rss: number; hwm: number } | null {
  try {
    return { ...parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')), ...parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8')) };
  } catch {
    return null;
  }
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const mb = (b: number) => (b / 1e6).toFixed(1);

async function main(): Promise<number> {
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const prom = await startFakePrometheus(count);
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-footprint-prom-'));
  const port = await new Promise<number>((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
  const configPath = join(dir, 'leakwatch.yaml');
  writeFileSync(configPath, `database: ${join(dir, 'leakwatch.db')}
http: { listen: "127.0.0.1:${port}" }
log: { level: warn }
defaults:
  schedule: "${schedule}"
  timeout: 10s
  window: ${windowSeconds}s
  warmup: 0s
discovery:
  refresh: 30s
  sources:
    - prometheus: ${prom.url}
      samples: prometheus
      timeout: 60s
template: { pprof: null, metrics: null }
`);
  const daemon = spawn(cli, ['run', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  daemon.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  daemon.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    const started = Date.now();
    // The backfill: every service's whole window, read in slices oldest first; it is over when
    // every service's newest sample is recent (after an early slice it is a slice's span old).
    const recent = Math.min(120, windowSeconds / 4);
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`daemon exited with ${daemon.exitCode}`);
      const m = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
      const ages = [...m.matchAll(/^leakwatch_last_sample_age_seconds\{[^}]*\} (\S+)$/gm)].map((x) => Number(x[1]));
      if (ages.filter((a) => a < recent).length >= count) break;
      if (Date.now() - started > 300_000) throw new Error('no backfill within 5 min');
      await new Promise((r) => setTimeout(r, 500));
    }
    const backfillMs = Date.now() - started;
    const atBackfill = cpuAndRss(daemon.pid!)!;
    const backfillRequests = total(prom.requests);
    console.log(`footprint (prometheus): ${count} discovered services, schedule "${schedule}", ${windowSeconds} s window, ${minutes} min`);
    console.log(`backfill:       ${backfillMs} ms until every service's window is in (all slices); ${backfillRequests} requests; cpu ${(atBackfill.cpuTicks / ticks).toFixed(1)} s; peak rss ${mb(atBackfill.hwm)} MB`);

    const rss: number[] = [];
    const from = { t: Date.now(), cpu: atBackfill.cpuTicks, requests: backfillRequests, byPath: new Map(prom.requests) };
    const ticker = setInterval(() => {
      const s = cpuAndRss(daemon.pid!);
      if (s) rss.push(s.rss);
    }, 1_000);
    await new Promise((r) => setTimeout(r, minutes * 60_000));
    clearInterval(ticker);
    const end = cpuAndRss(daemon.pid!);
    if (!end || daemon.exitCode !== null) throw new Error('daemon exited during the run');
    const seconds = (Date.now() - from.t) / 1000;
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const result = {
      services: count,
      schedule,
      windowSeconds,
      backfillMs,
      backfillRequests,
      cpuPercentOfOneCore: Number((((end.cpuTicks - from.cpu) / ticks / seconds) * 100).toFixed(1)),
      peakRssBytes: end.hwm,
      endRssBytes: end.rss,
      queriesPerSecond: Number(((total(prom.requests) - from.requests) / seconds).toFixed(2)),
      requestsByPath: Object.fromEntries([...prom.requests].map(([p, n]) => [p, n - (from.byPath.get(p) ?? 0)])),
      daemonScrapesTotal: sumMetric(metrics, 'leakwatch_scrapes_total'),
      daemonScrapeFailuresTotal: sumMetric(metrics, 'leakwatch_scrape_failures_total'),
    };
    console.log(`steady state:   cpu ${result.cpuPercentOfOneCore}% of one core; rss end ${mb(end.rss)} MB, peak ${mb(end.hwm)} MB (rss every 15 s: ${rss.filter((_, i) => i % 15 === 14).map((b) => mb(b)).join(' ')})`);
    console.log(`prometheus load: ${result.queriesPerSecond} requests/s in steady state (${JSON.stringify(result.requestsByPath)} over ${seconds.toFixed(0)} s)`);
    console.log(`daemon says:    ${result.daemonScrapesTotal} samples ingested, ${result.daemonScrapeFailuresTotal} failures`);
    console.log(`result ${JSON.stringify(result)}`);
    return 0;
  } catch (err) {
    console.error(`footprint (prometheus): ${(err as Error).message}\n${out}`);
    return 1;
  } finally {
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((ok) => daemon.once('exit', ok));
    }
    await prom.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
