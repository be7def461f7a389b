/**
 * Records traces of the real Go programs of go-programs.ts for the offline corpus: runs them all
 * at once, scrapes each every second with the daemon's own collector (scrapeService, so pid,
 * process start, GOMEMLIMIT and restarts are kept, which `export-trace` drops), and writes
 * <name>.jsonl plus <name>.truth.json (what a watchdog should say, with the compressed-time
 * settings to replay it with).
 *
 *   npm run bench:build && node .bench/test/bench/record-traces.js [--seconds 150] [--out test/fixtures/traces]
 *     [--only leak,idle] [--bin PATH-TO-BUILT-TARGET]
 *
 * Needs Go (it builds test/go/target unless --bin is given).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTrace } from '../../src/analyze/trace.js';
import { scrapeService } from '../../src/collect/scrape.js';
import type { Sample } from '../../src/model/sample.js';
import { COMPRESSED, GO_PROGRAMS, startProgram, type RunningProgram, type TraceTruth } from './go-programs.js';
import { ROOT } from './paths.js';
import { buildTarget } from '../helpers/go.js';

const MAX_TRACE_BYTES = 300_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Scrapes `p` at every whole second until `until`, as the daemon's `* * * * * *` schedule does. */
async function record(p: RunningProgram, until: number): Promise<Sample[]> {
  const target = { name: p.program.name, pprof: `${p.base}/debug/pprof`, metrics: `${p.base}/metrics`, pidFile: p.pidFile, timeout: 2000, maxBodySize: 64 << 20 };
  const samples: Sample[] = [];
  for (;;) {
    await sleep(1000 - (Date.now() % 1000));
    if (Date.now() >= until) return samples;
    const r = await scrapeService(target, samples[samples.length - 1]);
    if (r.sample) samples.push(r.sample);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '150' }, out: { type: 'string', default: join(ROOT, 'test/fixtures/traces') }, only: { type: 'string' }, bin: { type: 'string' } },
  });
  const seconds = Number(values.seconds);
  const only = values.only?.split(',');
  const programs = GO_PROGRAMS.filter((p) => !only || only.includes(p.name));
  const work = mkdtempSync(join(tmpdir(), 'leakwatch-record-'));
  mkdirSync(values.out!, { recursive: true });
  const bin = values.bin ?? buildTarget();
  const running = await Promise.all(programs.map((p) => startProgram(bin, p, work)));
  console.log(`recording ${running.length} programs for ${seconds} s`);
  try {
    const traces = await Promise.all(running.map((p) => record(p, p.startedAt + seconds * 1000)));
    for (const [i, p] of running.entries()) {
      const { name, leaks, shape } = p.program;
      const file = join(values.out!, `${name}.jsonl`);
      writeFileSync(file, formatTrace(traces[i]));
      const truth: TraceTruth = {
        positive: leaks !== null, metric: leaks, onsetMs: leaks === null ? null : p.startedAt + (p.program.onsetMs ?? 0), shape,
        service: { window: COMPRESSED.window, warmup: COMPRESSED.warmup, thresholds: { ...COMPRESSED.thresholds } },
      };
      writeFileSync(join(values.out!, `${name}.truth.json`), JSON.stringify(truth, null, 2) + '\n');
      const bytes = statSync(file).size;
      console.log(`${name}: ${traces[i].length} samples, ${p.lifetimes()} lifetime(s), ${(bytes / 1000).toFixed(0)} KB${bytes > MAX_TRACE_BYTES ? '  TOO LARGE' : ''}`);
    }
  } finally {
    await Promise.all(running.map((p) => p.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
