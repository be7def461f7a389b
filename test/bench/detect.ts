/**
 * `npm run bench:detect`: leakwatch's detector and two peer rules (peers.ts) over the randomized
 * corpus (corpus.ts) and any recorded traces (recorded.ts), in worker threads. Prints per class
 * false alerts per service-day, recall and latency, flapping; heap leaks by rate band; bounded
 * fills apart; the issue-11 goals as PASS/FAIL lines; replay speed and a 7-day replay.
 * The options and what they do: USAGE in detect-options.ts (`--help` prints it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { replay } from '../../src/analyze/replay.js';
import { formatTrace } from '../../src/analyze/trace.js';
import { formatDuration, formatRate, type Rate } from '../../src/format/units.js';
import { CLASSES, corpusService, corpusTrace, setTraces, steadyWeek } from './corpus.js';
import { parseOptions, USAGE } from './detect-options.js';
import type { Job, TraceResult } from './detect-run.js';
import { BANDS, bandOf, describeIncidents, medianWithMisses, quantile, scoreAll, type RuleScore } from './detect-score.js';
import { PEERS } from './peers.js';
import { recordedNames } from './recorded.js';
import { PRODUCT_CLI } from './paths.js';
import type { ServiceConfig } from '../../src/config/schema.js';

const RULES = ['leakwatch', 'prometheus', 'coroot'];

/** Runs the jobs over `threads` workers, each taking the next job when done with one. */
async function runJobs(jobs: Job[], threads: number): Promise<TraceResult[]> {
  const results: TraceResult[] = new Array(jobs.length);
  let next = 0, done = 0;
  const worker = (): Promise<void> => new Promise((resolve, reject) => {
    const w = new Worker(new URL('./detect-worker.js', import.meta.url));
    let current = -1;
    const feed = (): void => {
      if (next >= jobs.length) {
        void w.terminate().then(() => resolve());
        return;
      }
      current = next++;
      w.postMessage(jobs[current]);
    };
    w.on('message', (m: { ok: true; result: TraceResult } | { ok: false; error: string }) => {
      if (!m.ok) {
        void w.terminate();
        reject(new Error(m.error));
        return;
      }
      results[current] = m.result;
      if (++done % 50 === 0) process.stderr.write(`  ${done}/${jobs.length} traces\n`);
      feed();
    });
    w.on('error', reject);
    feed();
  });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(threads, jobs.length)) }, worker));
  return results;
}

const fmtH = (x: number | undefined): string => (x === undefined ? '-' : x === Infinity ? 'never' : `${x.toFixed(2)}h`);
const pct = (a: number, b: number): string => (b === 0 ? '-' : `${a}/${b} ${((100 * a) / b).toFixed(0)}%`);

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function classTable(results: TraceResult[]): Map<string, RuleScore[]> {
  const byClass = new Map<string, RuleScore[]>();
  const rows: string[][] = [];
  const names = [...new Set(results.filter((r) => r.kind !== 'bounded').map((r) => r.cls))];
  for (const cls of names) {
    const scores = scoreAll(results, RULES.length, (r) => r.cls === cls);
    byClass.set(cls, scores);
    const positive = results.find((r) => r.cls === cls)?.kind === 'positive';
    scores.forEach((s, k) => rows.push([
      k === 0 ? `${cls} (${positive ? '+' : '-'})` : '', RULES[k], String(s.traces),
      positive ? pct(s.caught, s.traces) : '-', positive ? pct(s.caughtIn8h, s.traces) : '-', (s.falseAlerts / s.days).toFixed(2),
      positive ? fmtH(quantile(s.latencies, 0.5)) : '-', positive ? fmtH(quantile(s.latencies, 0.9)) : '-',
      positive ? String(s.flapping) : '-', positive ? String(s.resolvedEarly) : '-',
    ]));
  }
  printTable(['class', 'rule', 'n', 'recall', 'in 8h', 'false/day', 'median', 'p90', 'flapping', 'resolved early'], rows);
  return byClass;
}

function bandTable(results: TraceResult[]): Map<string, RuleScore[]> {
  const byBand = new Map<string, RuleScore[]>();
  const rows: string[][] = [];
  for (const band of BANDS) {
    const scores = scoreAll(results, RULES.length, (r) => bandOf(r) === band);
    if (scores[0].traces === 0) continue;
    byBand.set(band.label, scores);
    scores.forEach((s, k) => rows.push([
      k === 0 ? band.label : '', RULES[k], String(s.traces), pct(s.caught, s.traces), pct(s.caughtIn8h, s.traces),
      fmtH(quantile(s.latencies, 0.5)), fmtH(quantile(s.latencies, 0.9)), fmtH(medianWithMisses(s)),
    ]));
  }
  if (rows.length) printTable(['heap leak rate', 'rule', 'n', 'recall', 'in 8h', 'median', 'p90', 'median (miss = never)'], rows);
  return byBand;
}

function boundedTable(results: TraceResult[]): void {
  const scores = scoreAll(results, RULES.length, (r) => r.kind === 'bounded');
  if (scores[0].traces === 0) return;
  console.log('\nbounded fills (linear for 1-6 h, then flat): reported, not scored');
  printTable(['rule', 'traces alerted', 'incidents/day'], scores.map((s, k) => [RULES[k], pct(s.alerted, s.traces), (s.incidents / s.days).toFixed(2)]));
}

function goals(byClass: Map<string, RuleScore[]>, byBand: Map<string, RuleScore[]>, results: TraceResult[]): void {
  const check = (label: string, ok: boolean): void => console.log(`${ok ? 'PASS' : 'FAIL'}  ${label}`);
  const side = (f: (k: number) => string): string => `leakwatch ${f(0)}; ${RULES.slice(1).map((n, k) => `${n} ${f(k + 1)}`).join(', ')}`;
  const negatives = [...new Set(results.filter((r) => r.kind === 'negative' && !r.cls.startsWith('recorded:')).map((r) => r.cls))];
  if (negatives.length) {
    const noisy = negatives.filter((c) => byClass.get(c)![0].falseAlerts > 0);
    const total = (k: number): string => String(negatives.reduce((n, c) => n + byClass.get(c)![k].falseAlerts, 0));
    check(`0 false alerts on every negative class${noisy.length ? ` (alerts on: ${noisy.join(', ')})` : ''} [false alerts: ${side(total)}]`, noisy.length === 0);
  }
  const fast = scoreAll(results, RULES.length, (r) => (bandOf(r)?.lo ?? 0) >= 1);
  if (fast[0].traces) {
    const share = (k: number): string => pct(fast[k].caughtIn8h, fast[k].traces);
    check(`recall >= 98% for heap leaks >= 1%/h within 8 h [${side(share)}]`, fast[0].caughtIn8h >= 0.98 * fast[0].traces);
  }
  for (const [label, limit] of [['>=5%/h', 0.75], ['2-5%/h', 2], ['0.5-1%/h', 8]] as const) {
    const s = byBand.get(label);
    if (!s) continue;
    check(`median latency <= ${fmtH(limit)} for heap leaks ${label}, a miss counting as never [${side((k) => fmtH(medianWithMisses(s[k])))}]`, medianWithMisses(s[0]) <= limit);
  }
  for (const cls of ['heap-leak-warmup', 'heap-leak-cycle']) {
    const s = scoreAll(results, RULES.length, (r) => r.cls === cls && (bandOf(r)?.lo ?? 0) >= 1);
    if (!s[0].traces) continue;
    check(`leaks >= 1%/h of ${cls} caught within 8 h (>= 98%) [${side((k) => pct(s[k].caughtIn8h, s[k].traces))}]`, s[0].caughtIn8h >= 0.98 * s[0].traces);
  }
}

function replayWeek(): void {
  const week = steadyWeek();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const result = replay(week.samples, week.service);
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  console.log(`7-day steady trace at 15 s (${week.samples.length} samples): replay ${(wall / 1000).toFixed(2)} s wall, ${(cpuMs / 1000).toFixed(2)} s CPU, ${result.incidents.length} incident(s) (goal: under 2 s)`);
  // As a user runs it: the executable in a fresh process, start-up and parsing included.
  if (!existsSync(PRODUCT_CLI)) return console.log(`leakwatch replay: not timed, ${PRODUCT_CLI} is missing (npm run build)`);
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-week-'));
  try {
    writeFileSync(join(dir, 'week.jsonl'), formatTrace(week.samples));
    writeFileSync(join(dir, 'leakwatch.yaml'), serviceYaml(week.service));
    const walls: number[] = [];
    for (let k = 0; k < 3; k++) {
      const started = performance.now();
      const run = spawnSync(PRODUCT_CLI, ['replay', '--config', join(dir, 'leakwatch.yaml'), '--service', week.service.name, '--trace', join(dir, 'week.jsonl')], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`leakwatch replay exited ${run.status}: ${run.stderr}`);
      walls.push((performance.now() - started) / 1000);
    }
    walls.sort((a, b) => a - b);
    console.log(`leakwatch replay of that trace (the executable, a fresh process each, 3 runs): ${walls.map((w) => w.toFixed(2)).join(', ')} s wall, median ${walls[1].toFixed(2)} s (goal: under 2 s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A duration as a config writes it (6h, 15m). */
const configDuration = (ms: number): string => formatDuration(ms).replace(/ /g, '');

/** The service's thresholds as a config writes them. */
function thresholdsOf(svc: ServiceConfig): Record<string, string> {
  const rate = (r: Rate | undefined): string => (r === undefined ? 'off' : formatRate(r).replace(/ /g, ''));
  const t = svc.thresholds;
  return { heapGrowth: rate(t.heapGrowth), sysGrowth: rate(t.sysGrowth), rssGrowth: rate(t.rssGrowth), goroutineGrowth: rate(t.goroutineGrowth) };
}

/** A config of the one service the bench replays: replay reads no source, but the config needs one. */
function serviceYaml(svc: ServiceConfig): string {
  return `services:\n  - name: ${svc.name}\n    expvar: http://127.0.0.1:6060/debug/vars  # replay reads no source, the config needs one\n    window: ${configDuration(svc.window)}\n    warmup: ${configDuration(svc.warmup)}\n    thresholds:\n${Object.entries(thresholdsOf(svc)).map(([k, v]) => `      ${k}: ${v}\n`).join('')}`;
}

function dump(id: string, file: string): void {
  const [cls, seedText] = id.split(':');
  if (!/^\d+$/.test(seedText ?? '')) throw new Error(`--dump: expected CLASS:SEED, got ${id}`);
  const tr = corpusTrace(cls, Number(seedText));
  writeFileSync(file, formatTrace(tr.samples));
  const svc = tr.service;
  const thresholds = thresholdsOf(svc);
  const sidecar = file.replace(/\.jsonl$/, '') + '.truth.json';
  const start = tr.samples[0].t;
  writeFileSync(sidecar, JSON.stringify({
    positive: tr.positive, metric: tr.truth.metric ?? null, onsetMs: tr.positive ? Math.round(tr.truth.onsets[0] * 3_600_000) : null,
    service: { window: configDuration(svc.window), warmup: configDuration(svc.warmup), thresholds },
    corpus: { class: cls, seed: tr.seed, kind: tr.kind, hours: tr.hours, truth: tr.truth, params: tr.params, start: new Date(start).toISOString() },
  }, null, 2) + '\n');
  console.log(`wrote ${tr.samples.length} samples of ${id} to ${file} and its truth to ${sidecar}; replay it with a service like:`);
  process.stdout.write(serviceYaml(svc));
  console.log(`leakwatch replay --config CONFIG.yaml --service ${svc.name} --trace ${file}`);
}

async function main(): Promise<void> {
  const opt = parseOptions(process.argv.slice(2));
  if (opt === 'help') return console.log(USAGE);
  if (opt.dump) return dump(opt.dump.id, opt.dump.file);
  if (opt.replay7d) return replayWeek();
  const svc = corpusService('bench');
  const rate = (r: Rate | undefined): string => (r === undefined ? 'off' : formatRate(r));
  const t = svc.thresholds;
  const jobs: Job[] = setTraces(opt.set, opt.n ?? undefined, opt.cls, opt.skip);
  const recorded = opt.cls ? [] : recordedNames();
  jobs.push(...recorded.map((name) => ({ recorded: name })));
  console.log(`${opt.set} set: ${jobs.length - recorded.length} generated traces (${opt.cls ?? `${CLASSES.length} classes`}) + ${recorded.length} recorded; ` +
    `${opt.threads} worker threads.\nleakwatch ${svc.window / 3_600_000} h window, ${svc.warmup / 60_000} min warm-up, thresholds heap ${rate(t.heapGrowth)}, ` +
    `sys ${rate(t.sysGrowth)}, rss ${rate(t.rssGrowth)}, goroutines ${rate(t.goroutineGrowth)}, cooldown ${svc.cooldown / 3_600_000} h; 15 s samples.\n` +
    `Peers: prometheus = ${PEERS[0].name}; coroot = ${PEERS[1].name}.\n`);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const results = await runJobs(jobs, opt.threads);
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  if (opt.verbose) {
    for (const r of results) {
      const rateText = r.truth.rate ? ` rate=${r.truth.rate.value.toFixed(2)}${r.truth.rate.unit}` : '';
      const onsets = r.truth.onsets.map((o) => o.toFixed(2)).join(',') || '-';
      console.log(`${r.id} (${r.kind}) ${r.hours.toFixed(1)}h onsets=${onsets}${rateText} ${JSON.stringify(r.params)}: ${describeIncidents(r, r.rules[0])}`);
    }
    console.log('');
  }
  const generated = results.filter((r) => !r.cls.startsWith('recorded:'));
  const byClass = classTable(generated);
  console.log('');
  const byBand = bandTable(generated);
  boundedTable(generated);
  const rec = results.filter((r) => r.cls.startsWith('recorded:'));
  if (rec.length) {
    console.log('\nrecorded traces (real Go programs)');
    printTable(['trace', 'kind', 'leakwatch incidents'], rec.map((r) => [r.cls, r.kind, describeIncidents(r, r.rules[0])]));
    classTable(rec);
  }
  console.log('');
  goals(byClass, byBand, generated);
  const samples = results.reduce((n, r) => n + r.samples, 0);
  const replayMs = results.reduce((n, r) => n + r.replayMs, 0);
  const clock = results.every((r) => r.replayClock === 'thread-cpu') ? 'CPU time of the replaying threads' : 'wall time of the replaying threads';
  console.log(`\nreplay speed: ${samples} samples in ${(replayMs / 1000).toFixed(1)} s (${clock}): ${((samples / replayMs) * 1000).toFixed(0)} samples/s per core; ` +
    `whole bench ${(wall / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU (generation, replay and peers, all threads)`);
  replayWeek();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
