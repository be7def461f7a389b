/**
 * A real Prometheus for fleet tests (Debian's `prometheus`), and a Go program exposing
 * client_golang's /metrics (Debian's golang-github-prometheus-client-golang-dev, built with
 * GOPATH=/usr/share/gocode). Missing pieces skip loudly, unless LEAKWATCH_REQUIRE_PROMETHEUS=1
 * (set by .ci/run) turns them into a failure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PROMTARGET_SRC = resolve(here, '../go/promtarget');
const GOPATH = '/usr/share/gocode';
export const CLIENT_GOLANG = join(GOPATH, 'src/github.com/prometheus/client_golang/prometheus/promhttp');

let cached: boolean | undefined;

export function prometheusAvailable(): boolean {
  if (cached === undefined) {
    let bin = false;
    try {
      execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
      bin = true;
    } catch {
      bin = false;
    }
    let go = false;
    try {
      execFileSync('go', ['version'], { stdio: 'ignore' });
      go = true;
    } catch {
      go = false;
    }
    cached = bin && go && existsSync(CLIENT_GOLANG);
    if (!cached) {
      const missing = [!bin && 'prometheus', !go && 'go', !existsSync(CLIENT_GOLANG) && 'golang-github-prometheus-client-golang-dev'].filter(Boolean).join(', ');
      if (process.env.LEAKWATCH_REQUIRE_PROMETHEUS === '1') throw new Error(`LEAKWATCH_REQUIRE_PROMETHEUS=1 but missing: ${missing} (apt-get install prometheus golang-go golang-github-prometheus-client-golang-dev)`);
      console.warn(`\n*** SKIPPING Prometheus fleet tests: missing ${missing} ***\n`);
    }
  }
  return cached;
}

/** Builds test/go/promtarget against the Debian client_golang once per source hash. */
export function buildPromTarget(): string {
  const src = readFileSync(join(PROMTARGET_SRC, 'main.go'));
  const dir = join(tmpdir(), 'leakwatch-go', `promtarget-${createHash('sha256').update(src).digest('hex').slice(0, 16)}`);
  const bin = join(dir, 'promtarget');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}`;
    execFileSync('go', ['build', '-trimpath', '-o', tmp, join(PROMTARGET_SRC, 'main.go')], {
      cwd: PROMTARGET_SRC,
      env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'leakwatch-gocache') },
      stdio: 'inherit',
    });
    execFileSync('mv', [tmp, bin]);
  }
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

export interface RunningPrometheus {
  url: string;
  /** Instant query; the vector's samples. */
  query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** SIGSTOP / SIGCONT: a Prometheus that hangs (accepts connections, answers nothing), then recovers. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** Starts Prometheus on a free loopback port with `scrapeConfigs` (YAML of scrape_configs items) and a temp TSDB. */
export async function startPrometheus(scrapeConfigs: string, interval = '1s'): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-prometheus-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: ${interval}\n  evaluation_interval: ${interval}\nscrape_configs:\n${scrapeConfigs}`);
  const proc: ChildProcess = spawn('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}:\n${log}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() - started > 30_000) throw new Error(`prometheus not ready in 30s:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    query: async (q) => {
      const r = (await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: q })}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return r.data.result;
    },
    pause: () => void proc.kill('SIGSTOP'),
    resume: () => void proc.kill('SIGCONT'),
    stop: () => new Promise<void>((ok) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        ok();
      };
      if (proc.exitCode !== null || proc.signalCode !== null) return done();
      proc.once('exit', done);
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
    }),
  };
}

/**
 * The fleet tests' leakwatch config: services discovered through the Prometheus at `prometheus`
 * (`{job="go"}`, named by their `app` label), their samples read from it, profiles from their
 * pprof every 2 s; compressed time (1 s schedule, 5 s warm-up) and thresholds the test programs clear.
 */
export function prometheusFleetConfig(o: { database: string; listen: string; prometheus: string; window: string; sourceTimeout?: string }): string {
  return `database: ${o.database}
http: { listen: "${o.listen}" }
defaults:
  schedule: "* * * * * *"
  profileSchedule: "*/2 * * * * *"
  timeout: 2s
  window: ${o.window}
  warmup: 5s
  cooldown: 1h
  thresholds: { heapGrowth: 300MB/h, sysGrowth: 1500MB/h, rssGrowth: 1500MB/h, goroutineGrowth: 2000/h }
discovery:
  refresh: 2s
  sources:
    - prometheus: ${o.prometheus}
      match: '{job="go"}'
      samples: prometheus
${o.sourceTimeout ? `      timeout: ${o.sourceTimeout}\n` : ''}template:
  name: "{{app}}"
`;
}
