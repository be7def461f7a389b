/**
 * `npm run bench:detect`: the detector against synthetic traces with ground truth (scenarios.ts)
 * and against two peer rules on the same traces (peers.ts). Prints, per shape and rule: recall,
 * false alerts per process-day, median and p90 detection latency; then the goals and the replay
 * speed. Options: --seeds N (default 5), --shape NAME, --verbose.
 */
import { replay } from '../analyze/replay.js';
import type { Metric } from '../model/incident.js';
import { PEERS, type PeerOpen } from './peers.js';
import { SHAPES, benchService, scenario, type Scenario } from './scenarios.js';
import { formatRate, type Rate } from '../config/units.js';

const HOUR = 3_600_000;

interface Score {
  caught: number;
  positives: number;
  falseAlerts: number;
  days: number;
  latencies: number[];
}

/**
 * leakwatch must name the right metric (a heap leak reported as RSS sends on-call to the wrong
 * tool); a peer rule watches one metric, so any metric the leak moves counts as catching it.
 */
function score(sc: Scenario, opens: PeerOpen[], into: Score, strict: boolean): void {
  const start = sc.samples[0].t;
  const onset = sc.truth.onsets.length ? start + sc.truth.onsets[0] * HOUR : Infinity;
  into.days += sc.days;
  let caughtAt: number | undefined;
  for (const o of opens) {
    if (o.at < onset || !sc.truth.allowed.includes(o.metric)) into.falseAlerts++;
    else if ((strict ? o.metric === sc.truth.metric : sc.positive) && caughtAt === undefined) caughtAt = o.at;
  }
  if (sc.positive) {
    into.positives++;
    if (caughtAt !== undefined) {
      into.caught++;
      into.latencies.push((caughtAt - onset) / HOUR);
    }
  }
}

function quantile(xs: number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

const fmtH = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}h`);

function args(): { seeds: number; shape?: string; verbose: boolean } {
  const a = process.argv.slice(2);
  const get = (k: string): string | undefined => {
    const i = a.indexOf(k);
    return i >= 0 ? a[i + 1] : undefined;
  };
  return { seeds: Number(get('--seeds') ?? 5), shape: get('--shape'), verbose: a.includes('--verbose') };
}

function describeConfig(seeds: number): string {
  const svc = benchService();
  const rate = (r: Rate | undefined): string => (r === undefined ? 'off' : formatRate(r));
  const t = svc.thresholds;
  return `leakwatch ${svc.window / HOUR} h window, ${svc.warmup / 60_000} min warm-up; thresholds heap ${rate(t.heapGrowth)}, ` +
    `sys ${rate(t.sysGrowth)}, rss ${rate(t.rssGrowth)}, goroutines ${rate(t.goroutineGrowth)}; 15 s samples; ${seeds} seeds per shape. ` +
    `Latency from leak onset; leakwatch must name the leaking metric.`;
}

function main(): void {
  const opt = args();
  console.log(describeConfig(opt.seeds) + '\n');
  const rules = ['leakwatch', ...PEERS.map((p) => p.name)];
  const rows: string[][] = [];
  const goals: Record<string, Score> = {};
  let samplesReplayed = 0;
  let replayMs = 0;
  for (const shape of SHAPES) {
    if (opt.shape && shape.name !== opt.shape) continue;
    const scores = rules.map((): Score => ({ caught: 0, positives: 0, falseAlerts: 0, days: 0, latencies: [] }));
    for (let seed = 1; seed <= opt.seeds; seed++) {
      const sc = scenario(shape, seed);
      // CPU time, not wall time: the number should not depend on what else the machine runs.
      const t0 = process.cpuUsage();
      const result = replay(sc.samples, sc.service);
      replayMs += process.cpuUsage(t0).user / 1000;
      samplesReplayed += sc.samples.length;
      const ours = result.incidents.map((i) => ({ metric: i.metric as Metric, at: Date.parse(i.openedAt) }));
      score(sc, ours, scores[0], true);
      PEERS.forEach((p, k) => score(sc, p.run(sc), scores[k + 1], false));
      if (opt.verbose) {
        const start = sc.samples[0].t;
        const desc = result.incidents.map((i) => `${i.metric}@${((Date.parse(i.openedAt) - start) / HOUR).toFixed(2)}h${i.resolvedAt ? `-${((Date.parse(i.resolvedAt) - start) / HOUR).toFixed(2)}h` : ''}`);
        console.log(`${shape.name}#${seed} onsets=${sc.truth.onsets.map((o) => o.toFixed(2)).join(',') || '-'} base=${(sc.baseHeap / 1e6).toFixed(0)}MB: ${desc.join(' ') || 'no incident'}`);
      }
    }
    scores.forEach((s, k) => {
      rows.push([
        k === 0 ? `${shape.name} (${shape.positive ? '+' : '-'})` : '', rules[k],
        shape.positive ? `${s.caught}/${s.positives}` : '-',
        (s.falseAlerts / s.days).toFixed(2),
        fmtH(quantile(s.latencies, 0.5)), fmtH(quantile(s.latencies, 0.9)), fmtH(quantile(s.latencies, 1)),
      ]);
    });
    goals[shape.name] = scores[0];
  }
  printTable(['shape', 'rule', 'recall', 'false/day', 'median', 'p90', 'max'], rows);
  console.log('');
  printGoals(goals);
  console.log(`\nreplay speed (CPU time): ${samplesReplayed} samples in ${replayMs.toFixed(0)} ms (${((samplesReplayed / replayMs) * 1000).toFixed(0)} samples/s; a 24 h trace at 15 s = 5,761 samples ≈ ${((5761 / samplesReplayed) * replayMs).toFixed(0)} ms)`);
}

function printGoals(goals: Record<string, Score>): void {
  const check = (label: string, ok: boolean): void => console.log(`${ok ? 'PASS' : 'FAIL'}  ${label}`);
  const within = (s: Score | undefined, h: number): boolean => !!s && s.caught === s.positives && s.latencies.every((l) => l <= h);
  const leaks2 = ['leak-2%/h', 'leak-5%/h', 'leak-30%/h', 'leak-in-warmup', 'leak-gc-sawtooth', 'staircase', 'leak-daily-cycle', 'leak-restarting'];
  const present = leaks2.filter((n) => goals[n]);
  if (present.length) {
    check(`every leak >= 2%/h caught within 2 h (${present.join(', ')})`, present.every((n) => within(goals[n], 2)));
    const lat = present.flatMap((n) => goals[n].latencies);
    check(`median latency of those <= 1 h (${fmtH(quantile(lat, 0.5))})`, (quantile(lat, 0.5) ?? Infinity) <= 1);
  }
  if (goals['leak-1%/h']) check('1%/h leaks caught within 8 h', within(goals['leak-1%/h'], 8));
  const negatives = SHAPES.filter((s) => !s.positive && goals[s.name]);
  const fa = negatives.filter((s) => goals[s.name].falseAlerts > 0).map((s) => s.name);
  check(`zero false alerts on negative shapes${fa.length ? ` (alerts on: ${fa.join(', ')})` : ''}`, fa.length === 0);
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

main();
