/**
 * Issue 11, acceptance: the real daemon watches real Go programs (src/bench/go-programs.ts), all
 * at once, in compressed time (1 s scrapes, 40 s window, 5 s warm-up; thresholds are the
 * product's defaults scaled by the clock, see COMPRESSED). Normal services — a cache that fills
 * over 2.4× the warm-up, periodic batch spikes, an idle server with noise, a process restarted
 * every minute that warms up each lifetime — open no incident. A heap leak, a goroutine leak, an
 * off-heap (mmap) leak and a heap leak spiralling under GOMEMLIMIT open exactly one incident
 * each, on the right metric, still open at the end: growth never stopped, so neither may they.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { COMPRESSED, GO_PROGRAMS as ALL_PROGRAMS, startProgram, type RunningProgram } from '../bench/go-programs.js';
import { buildTarget, goAvailable } from '../helpers/go.js';
import { cliAsync, sleep, startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';

interface IncidentJson {
  id: number;
  service: string;
  metric: string;
  openedAt: string;
  resolvedAt: string | null;
  slopePerHour: number;
  current: number;
  timeToLimit: string | null;
  note?: string;
}

const GO_PROGRAMS = ALL_PROGRAMS.filter((p) => !p.recordOnly);
/** Long enough for three windows past the warm-up and two restarts of the minute-long lifetimes. */
const WATCH_MS = 125_000;

describe.skipIf(!goAvailable())('live detection on real Go programs in compressed time (issue 11)', () => {
  const programs: RunningProgram[] = [];
  let daemon: RunningDaemon | undefined;
  let configPath: string;
  let incidents: IncidentJson[] = [];
  /** Samples the daemon stored per service, and the process starts it saw for the restarted one. */
  let stored: Record<string, number> = {};
  let restartsSeen: number[] = [];
  let logs = '';

  /** Seconds since the service's first process started. */
  const age = (svc: string, iso: string) => Math.round((Date.parse(iso) - programs.find((p) => p.program.name === svc)!.startedAt) / 1000);

  /** Async, so the supervisor restarts the minute-long service on time while the CLI runs. */
  const leakwatch = async <T>(args: string[]): Promise<T> => {
    const r = await cliAsync([...args, '--config', configPath]);
    if (r.code !== 0) throw new Error(`leakwatch ${args.join(' ')} failed: ${r.stderr}`);
    return (args.includes('--json') ? JSON.parse(r.stdout) : r.stdout) as T;
  };

  beforeAll(async () => {
    const bin = buildTarget();
    const dir = tempDir();
    programs.push(...(await Promise.all(GO_PROGRAMS.map((p) => startProgram(bin, p, dir)))));
    const services = programs.map((p) =>
      [`  - name: ${p.program.name}`, `    pprof: ${p.base}/debug/pprof`, `    metrics: ${p.base}/metrics`, `    pidFile: ${p.pidFile}`].join('\n'),
    );
    const t = COMPRESSED.thresholds;
    configPath = writeConfig(
      dir,
      `database: ${join(dir, 'lw.db')}
defaults:
  schedule: "${COMPRESSED.schedule}"
  profileSchedule: "*/5 * * * * *"
  timeout: 2s
  window: ${COMPRESSED.window}
  warmup: ${COMPRESSED.warmup}
  cooldown: 1h
  thresholds: { heapGrowth: ${t.heapGrowth}, sysGrowth: ${t.sysGrowth}, rssGrowth: ${t.rssGrowth}, goroutineGrowth: ${t.goroutineGrowth} }
services:
${services.join('\n')}
`,
    );
    daemon = startDaemon(configPath);
    await daemon.waitForLog(/leakwatch started/);
    // Incidents are never deleted: the list at the end shows every one that opened or resolved.
    await sleep(WATCH_MS);
    incidents = (await leakwatch<{ incidents: IncidentJson[] }>(['incidents', '--json'])).incidents;
    logs = daemon.logs();
    const status = await leakwatch<{ services: { name: string; samples: number }[] }>(['status', '--json']);
    stored = Object.fromEntries(status.services.map((x) => [x.name, x.samples]));
    const trace = (await leakwatch<string>(['export-trace', 'restarts'])).trim().split('\n');
    restartsSeen = [...new Set(trace.map((l) => (JSON.parse(l) as { processStart?: string }).processStart).filter((x) => x !== undefined))].map((x) => Date.parse(x!));
    console.log(
      `incidents after ${WATCH_MS / 1000} s:\n` +
        (incidents.map((i) => `  ${i.service} ${i.metric} #${i.id} opened +${age(i.service, i.openedAt)}s resolved ${i.resolvedAt && `+${age(i.service, i.resolvedAt)}s`} slope ${i.metric === 'goroutines' ? Math.round(i.slopePerHour) : `${Math.round(i.slopePerHour / 1e6)}M`}/h ttl ${i.timeToLimit}${i.note ? ` (${i.note})` : ''}`).join('\n') || '  none') +
        `\nlifetimes: ${programs.map((p) => `${p.program.name}=${p.lifetimes()}`).join(' ')}` +
        `\nsamples stored: ${JSON.stringify(stored)}`,
    );
  }, WATCH_MS + 180_000); // a cold `go build` on a loaded machine takes minutes

  afterAll(async () => {
    await daemon?.stop();
    await Promise.all(programs.map((p) => p.stop()));
  });

  const of = (svc: string) => incidents.filter((i) => i.service === svc);
  /** One line per incident, so a failure shows what opened and when. */
  const brief = (i: IncidentJson) => `${i.metric} opened=${i.openedAt} resolved=${i.resolvedAt}`;

  it('watched every program the whole time, and saw the minute-long one start three times', () => {
    // "No incident" means something only if the daemon had the data: most of the 1 s scrapes of every program.
    for (const p of GO_PROGRAMS) expect(stored[p.name] ?? 0, p.name).toBeGreaterThan((0.6 * WATCH_MS) / 1000);
    expect(programs.find((p) => p.program.name === 'restarts')!.lifetimes()).toBeGreaterThanOrEqual(3);
    // Process starts one lifetime (60 s) apart; /proc and the program's own clock agree within a second or two.
    const starts = restartsSeen.sort((a, b) => a - b).filter((t, i, all) => i === 0 || t - all[i - 1] > 10_000);
    expect(starts.length).toBeGreaterThanOrEqual(3);
  });

  it.each(GO_PROGRAMS.filter((p) => p.leaks === null).map((p) => [p.name, p.shape]))('%s (%s): no incident', (name) => {
    expect(of(name).map(brief)).toEqual([]);
  });

  it.each(GO_PROGRAMS.filter((p) => p.leaks !== null).map((p) => [p.name, p.leaks, p.shape]))(
    '%s: exactly one incident, on %s, still open (%s)',
    (name, metric) => {
      expect(of(name).map((i) => `${i.metric} resolved=${i.resolvedAt}`), of(name).map(brief).join('; ')).toEqual([`${metric} resolved=null`]);
    },
  );

  it('the GOMEMLIMIT spiral incident says when the heap reaches the limit', () => {
    const heap = of('spiral').find((i) => i.metric === 'heap');
    expect(heap?.timeToLimit ?? 'none').toMatch(/^\d+(\.\d+)?h$/);
  });

  it('with the limit minutes away, the spiral got last-gasp heap and goroutine profiles, kept through retention', () => {
    const line = logs.split('\n').find((l) => l.includes('last-gasp profiles captured') && l.includes('spiral'));
    expect(line, 'a last-gasp log line for spiral').toBeDefined();
    expect(line).toMatch(/profiles=\d+,\d+/);
    // Only services near a limit: none of the others has one.
    expect(logs.split('\n').filter((l) => l.includes('last-gasp') && !l.includes('spiral'))).toEqual([]);
  });
});
