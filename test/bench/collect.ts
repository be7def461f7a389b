/**
 * `npm run bench`: decode throughput, collector parsers and latency, bytes on disk per stored
 * sample and per stored heap profile, and CPU time per scrape (fetch + parse + store) against the
 * demo's replay target running in another process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDecodeBench } from './decode.js';
import { runScrapeBench } from './scrape.js';
import { scrapeService, captureProfiles } from '../../src/collect/scrape.js';
import { Store } from '../../src/store/index.js';
import type { ServiceConfig } from '../../src/config/schema.js';
import { ROOT } from './paths.js';

const root = ROOT;

async function startTargetProcess(): Promise<{ base: string; stop(): void }> {
  const script = `import(${JSON.stringify(join(root, 'dist/demo/target.js'))}).then((m) => m.startReplayTarget(${JSON.stringify(
    join(root, 'config/demo/recording.jsonl.gz'),
  )})).then((t) => console.log(t.base));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((ok) => child.stdout!.once('data', (d: Buffer) => ok(d.toString().trim())));
  return { base, stop: () => child.kill() };
}

function dbBytes(path: string): number {
  let n = 0;
  for (const suffix of ['', '-wal']) {
    try {
      n += statSync(path + suffix).size;
    } catch {
      // no WAL yet
    }
  }
  return n;
}

async function storageAndCpu(): Promise<string> {
  const target = await startTargetProcess();
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-bench-'));
  const dbPath = join(dir, 'bench.db');
  const store = Store.open(dbPath);
  const svc = {
    name: 'bench',
    pprof: `${target.base}/debug/pprof`,
    expvar: `${target.base}/debug/vars`,
    metrics: `${target.base}/metrics`,
    headers: {},
    timeout: 5000,
    maxBodySize: 64 << 20,
  } as unknown as ServiceConfig;
  try {
    // Warm up, then measure CPU of this process only (the target runs in its own).
    for (let i = 0; i < 20; i++) await scrapeService(svc);
    const scrapes = 300;
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    let prev;
    for (let i = 0; i < scrapes; i++) {
      const r = await scrapeService(svc, prev);
      store.recordScrape('bench', { at: r.at, ok: r.ok, durationMs: r.durationMs, failures: r.failures, sample: r.sample });
      prev = r.sample;
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const perSample = dbBytes(dbPath) / scrapes;

    const profiles = 50;
    const before = dbBytes(dbPath);
    let profileBody = 0;
    const pcpu0 = process.cpuUsage();
    for (let i = 0; i < profiles; i++) {
      const { profiles: got } = await captureProfiles(svc, ['heap']);
      profileBody += got[0]!.data.length;
      store.recordScrape('bench', { at: Date.now(), ok: true, durationMs: 0, profiles: got.map((p) => ({ kind: p.kind, data: p.data })) });
    }
    const pcpu = process.cpuUsage(pcpu0);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const perProfile = (dbBytes(dbPath) - before) / profiles;
    const ms = (u: NodeJS.CpuUsage, n: number) => ((u.user + u.system) / 1000 / n).toFixed(2);
    return [
      'storage and CPU per scrape (pprof heap?debug=1 + goroutine?debug=1 + expvar + metrics, stored in SQLite)',
      `  CPU per MemStats scrape:      ${ms(cpu, scrapes)} ms (user+system of leakwatch's process; wall ${(wall / scrapes).toFixed(2)} ms)`,
      `  CPU per heap profile capture: ${ms(pcpu, profiles)} ms (fetch + gunzip + decode + store)`,
      `  bytes on disk per sample row: ${perSample.toFixed(0)} B (scrape log row included)`,
      `  bytes on disk per heap profile: ${perProfile.toFixed(0)} B (body ${(profileBody / profiles).toFixed(0)} B gzip'd, as received)`,
    ].join('\n');
  } finally {
    store.close();
    target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(await runDecodeBench());
console.log();
await runScrapeBench();
console.log();
console.log(await storageAndCpu());

