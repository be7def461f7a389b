/**
 * bench:hostile — what one hostile target costs everybody else.
 *
 * 1. In process: each hostile body refused or parsed inline (on the event loop, as before the
 *    decode pool) and on a decode worker: wall time, the event loop's longest stall, RSS high-water.
 * 2. The real daemon (`dist/cli/main.js run`) on a one-second schedule (profiles too) watching three
 *    healthy real Go programs beside one hostile target of each class (and none): the healthy
 *    services' share of their expected samples, the daemon's peak RSS (VmHWM), the scheduling lag
 *    of the healthy scrapes (event loop + scheduler) and the reason the hostile one was given.
 *
 *   npm run build && npm run bench:hostile        (HOSTILE_SECONDS=30 per class, HOSTILE_CLASSES=bomb,drip)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MAX_RATIO } from '../../src/profile/gzip.js';
import { DecodePool } from '../../src/collect/decode-pool.js';
import type { DecodeTask } from '../../src/collect/decode-tasks.js';
import { Store } from '../../src/store/index.js';
import { parseProcStatus, percentile } from './footprint-stats.js';
import { startGoTarget, type GoTarget } from './go-target.js';
import { HOSTILE_CLASSES, HOSTILE_SOURCE, gzipBomb, hostileRoutes, type HostileClass } from './hostile-targets.js';
import { PRODUCT_CLI, ROOT } from './paths.js';

const cli = PRODUCT_CLI;
const fixture = (f: string) => readFileSync(join(ROOT, 'test/fixtures/pprof/out123', f));
const seconds = Number(process.env.HOSTILE_SECONDS ?? '30');
const classes = (process.env.HOSTILE_CLASSES?.split(',') ?? ['none', ...HOSTILE_CLASSES]) as (HostileClass | 'none')[];
const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

/** The longest gap between ticks of a 2 ms interval: how long the event loop was blocked. */
function stallMeter(): { reset(): void; maxMs(): number; stop(): void } {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 2);
  return {
    reset: () => ((last = performance.now()), (max = 0)),
    maxMs: () => max,
    stop: () => clearInterval(timer),
  };
}

async function inProcess(): Promise<void> {
  const x50 = Buffer.alloc(50e6, 0x78);
  const expvar50 = Buffer.concat([Buffer.from('{"memstats": {"Alloc": 1, "Sys": 8, "HeapAlloc": 1}, "junk": "'), x50, Buffer.from('"}')]);
  const lines: string[] = [];
  for (let i = 0, n = 0; n < 50e6; i++) {
    const l = `http_requests_total{path="/api/v1/items/${i}",code="200"} ${i}`;
    lines.push(l);
    n += l.length + 1;
  }
  lines.push('go_goroutines 5', 'go_memstats_heap_alloc_bytes 1', 'go_memstats_sys_bytes 8');
  const metrics50 = Buffer.from(lines.join('\n') + '\n');
  let x = 7;
  const noise = Buffer.from(Array.from({ length: 1 << 20 }, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24));
  const cases: [string, DecodeTask][] = [
    ['gzip bomb 4.2 MB → 4 GiB (heap profile)', { type: 'profile', data: gzipBomb(), kind: 'heap', maxDecompressed: 256 << 20 }],
    ['expvar 50 MB (uncapped)', { type: 'expvar', body: expvar50 }],
    ['/metrics 50 MB (uncapped)', { type: 'metrics', body: metrics50 }],
    ['random bytes 1 MiB gzip\'d (heap profile)', { type: 'profile', data: gzipSync(noise), kind: 'heap', maxDecompressed: 256 << 20 }],
  ];
  const worker = new DecodePool({ size: 1 });
  const inline = new DecodePool({ entry: null });
  worker.start();
  await worker.run('warm', { type: 'profile', data: fixture('new.pb.gz'), kind: 'heap', maxDecompressed: 1 << 30 });
  console.log('1. one hostile body, in process: refused/parsed inline (on the loop) vs on a decode worker');
  console.log('   body | where | wall ms | longest loop stall ms | RSS high-water growth MB | outcome');
  const loop = stallMeter();
  for (const [name, task] of cases) {
    // Inline first: the worker is handed text bodies without a copy (their buffer moves).
    for (const [where, pool] of [['inline', inline], ['worker', worker]] as const) {
      const hwm = maxRssMb();
      loop.reset();
      const t = performance.now();
      const outcome = await pool.run(where, task).then(() => 'parsed', (e: Error) => e.message.slice(0, 90));
      const wall = performance.now() - t;
      await new Promise((r) => setTimeout(r, 20)); // let the histogram see the stall end
      console.log(`   ${name} | ${where} | ${wall.toFixed(0)} | ${loop.maxMs().toFixed(0)} | ${(maxRssMb() - hwm).toFixed(0)} | ${outcome}`);
    }
  }
  loop.stop();
  await worker.stop();
}

/** How much real Go profiles inflate: the margin under MAX_RATIO that refuses bombs. */
async function printRatios(target: GoTarget): Promise<void> {
  const bodies: [string, Buffer][] = ['new.pb.gz', 'base_allocs.pb.gz', 'goroutine.pb.gz'].map((f) => [`fixture ${f}`, fixture(f)]);
  for (const kind of ['heap', 'allocs', 'goroutine']) {
    bodies.push([`live Go target ${kind}`, Buffer.from(await (await fetch(`${target.base}/debug/pprof/${kind}`)).arrayBuffer())]);
  }
  const ratios = bodies.map(([name, gz]) => `${name} ${(gunzipSync(gz).length / gz.length).toFixed(1)}×`);
  console.log(`\nreal profiles inflate (MAX_RATIO ${MAX_RATIO}× refuses a bomb): ${ratios.join(', ')}`);
}

function configYaml(dir: string, healthy: GoTarget[], hostile: { cls: HostileClass; base: string } | undefined): string {
  const services = healthy.map(
    (t, i) => `  - name: healthy${i}\n    pprof: ${t.base}/debug/pprof\n    expvar: ${t.base}/debug/vars\n    metrics: ${t.base}/metrics\n    pid: ${t.pid}`,
  );
  if (hostile) {
    const src = HOSTILE_SOURCE[hostile.cls];
    services.push(`  - name: hostile\n    ${src.key}: ${hostile.base}/${hostile.cls}${src.path}`);
  }
  return `database: ${join(dir, 'lw.db')}\nlog:\n  level: error\ndefaults:\n  schedule: "* * * * * *"\n  profileSchedule: "* * * * * *"\n  timeout: 1s\n  window: 1h\nservices:\n${services.join('\n')}\n`;
}

/** The environment and any Node flags of the CLI's `#!/usr/bin/env -S VAR=x node` line: run as installed (`run` sets its V8 flags itself). */
function shebang(): { env: Record<string, string>; nodeArgs: string[] } {
  const words = readFileSync(cli, 'utf8').split('\n', 1)[0]!.replace(/^#!\S*env -S /, '').split(/\s+/);
  const node = words.findIndex((w) => w === 'node');
  const env = Object.fromEntries(words.slice(0, node).map((w) => w.split('=') as [string, string]));
  return { env, nodeArgs: words.slice(node + 1) };
}

interface ClassResult {
  cls: string;
  share: number;
  samples: string;
  peakRss: number;
  lagP50: number;
  lagMax: number;
  skipped: number;
  reason: string;
}

async function runClass(cls: HostileClass | 'none', healthy: GoTarget[], hostileBase: string): Promise<ClassResult> {
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-hostile-'));
  const config = join(dir, 'lw.yaml');
  writeFileSync(config, configYaml(dir, healthy, cls === 'none' ? undefined : { cls, base: hostileBase }));
  const { env, nodeArgs } = shebang();
  const daemon = spawn(process.execPath, [...nodeArgs, cli, 'run', '--config', config], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((ok) => daemon.once('exit', () => ok()));
  const startedAt = Date.now();
  let hwm = 0;
  const ticker = setInterval(() => {
    try {
      hwm = Math.max(hwm, parseProcStatus(readFileSync(`/proc/${daemon.pid}/status`, 'utf8')).hwm);
    } catch {
      // gone
    }
  }, 500);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const stoppedAt = Date.now();
  clearInterval(ticker);
  daemon.kill('SIGTERM');
  await exited;
  const store = Store.open(join(dir, 'lw.db'));
  try {
    // Whole ticks from 3 s after start (start-up) to a second before stop.
    const from = Math.ceil(startedAt / 1000) * 1000 + 3000;
    const to = Math.floor(stoppedAt / 1000) * 1000 - 1000;
    const expected = ((to - from) / 1000) * healthy.length;
    let got = 0;
    const lags: number[] = [];
    let skipped = 0;
    for (let i = 0; i < healthy.length; i++) {
      got += store.samples(`healthy${i}`, { from, to: to - 1 }).length;
      for (const r of store.recentScrapes(`healthy${i}`, 100_000)) if (r.lagMs !== undefined && r.at >= from) lags.push(r.lagMs);
      skipped += store.scrapeSchedule(`healthy${i}`).skipped;
    }
    // The newest failure of each kind: a bomb is refused in a profile capture, while the sample scrape fails on its own.
    const failed = store.recentScrapes('hostile', 100_000).filter((r) => !r.ok || r.reason);
    const lastOf = (kind: 'sample' | 'profiles') => failed.filter((r) => (r.kind ?? 'sample') === kind).at(-1)?.reason;
    const reasons = [['samples', lastOf('sample')], ['profiles', lastOf('profiles')]].filter(([, r]) => r).map(([k, r]) => `${k}: ${r!.slice(0, 90)}`);
    const reason = cls === 'none' ? '-' : reasons.join(' | ') || 'no failure recorded';
    return { cls, share: got / expected, samples: `${got}/${expected}`, peakRss: hwm, lagP50: percentile(lags, 50), lagMax: Math.max(0, ...lags), skipped, reason };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await inProcess();
  const routes = hostileRoutes({ heapText: fixture('new_heap_debug1.txt'), goroutineText: fixture('goroutine_debug1.txt') });
  const server = http.createServer((req, res) => {
    const h = routes[req.url ?? ''];
    if (h) h(req, res);
    else res.writeHead(404).end('404 page not found\n');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const healthy = await Promise.all([0, 1, 2].map(() => startGoTarget(['-mode', 'steady'])));
  await printRatios(healthy[0]!);
  console.log(`\n2. the daemon, 3 healthy Go targets + 1 hostile, 1 s schedule (profiles too), ${seconds} s per class`);
  console.log('   hostile | healthy samples | share | daemon peak RSS | healthy sched lag p50 / max ms | healthy skipped | hostile reason');
  try {
    for (const cls of classes) {
      const r = await runClass(cls, healthy, base);
      console.log(`   ${r.cls} | ${r.samples} | ${(100 * r.share).toFixed(1)}% | ${mb(r.peakRss)} | ${r.lagP50.toFixed(0)} / ${r.lagMax.toFixed(0)} | ${r.skipped} | ${r.reason}`);
    }
  } finally {
    await Promise.all(healthy.map((t) => t.stop()));
    server.closeAllConnections();
    server.close();
  }
}

await main();
