/**
 * The daemon's lifecycle as one set of parts: a start that fails half-way leaves nothing
 * running and `leakwatch run` exits 1; a reload reaches the HTTP listener (token) and the
 * logger (level). In-process on a temp database, with real listeners on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/log/log.js';
import { Store } from '../../src/store/index.js';
import { CLI, startDaemon, tempDir, writeConfig } from '../helpers/daemon.js';
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';

let dir: string;
let blocker: Server | undefined;
let daemon: Daemon | undefined;
let logged: string;

beforeEach(() => {
  dir = tempDir();
  logged = '';
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await new Promise((ok) => (blocker ? blocker.close(ok) : ok(undefined)));
  blocker = undefined;
});

/** A port someone else holds. */
async function takenPort(): Promise<number> {
  blocker = createServer();
  await new Promise<void>((ok) => blocker!.listen(0, '127.0.0.1', ok));
  return (blocker.address() as AddressInfo).port;
}

function yaml(http: string, level = 'info'): string {
  return `database: ${join(dir, 'lw.db')}
log: { level: ${level} }
${http}
defaults:
  schedule: "* * * * * *"
services:
  - name: checkout
    metrics: http://127.0.0.1:9/metrics
`;
}

function daemonFor(text: string): { daemon: Daemon; config: ReturnType<typeof parseConfig> } {
  const config = parseConfig(text, { path: join(dir, 'leakwatch.yaml') });
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => (logged += d.toString()));
  const log = createLogger({ level: config.log.level, format: config.log.format, stream, journal: false });
  return { daemon: new Daemon(config, log), config };
}

const handles = (type: string) => process.getActiveResourcesInfo().filter((t) => t === type).length;

describe('a start that fails half-way', () => {
  it('stops what had started, in reverse order, and rejects: no timer (cron tickers included), no socket, the database closed', async () => {
    const port = await takenPort();
    const timersBefore = handles('Timeout');
    const serversBefore = handles('TCPServerWrap');
    const d = daemonFor(yaml(`http: { listen: "127.0.0.1:${port}" }`)).daemon;
    await expect(d.start()).rejects.toThrow(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    expect(d.running).toEqual([]);
    expect(handles('Timeout')).toBeLessThanOrEqual(timersBefore);
    expect(handles('TCPServerWrap')).toBeLessThanOrEqual(serversBefore);
    expect(logged).toMatch(/msg="start failed; stopping what had started" part=http error="[^"]*EADDRINUSE[^"]*" stopping="http,discovery,jobs,outbox,decode workers,store,log"/);
    expect(logged).not.toContain('leakwatch started');
    // The daemon's connection is closed (its health check cannot query); the file is whole and opens again.
    expect(d.health().db).toBe(false);
    const store = Store.open(join(dir, 'lw.db'));
    expect(store.serviceNames()).toEqual([]);
    store.close();
  });

  it('`leakwatch run` with its port taken exits 1 by itself', async () => {
    const port = await takenPort();
    const path = writeConfig(dir, yaml(`http: { listen: "127.0.0.1:${port}" }`));
    const child = spawn(process.execPath, [CLI, 'run', '--config', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Exiting at all is the point: a cron ticker, a worker or a socket left behind would keep it alive.
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((ok) => child.on('exit', (c, s) => ok([c, s])));
    clearTimeout(guard);
    expect({ code, signal }).toEqual({ code: 1, signal: null });
    expect(stderr).toMatch(/msg="leakwatch failed to start" error="http: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    expect(stderr).not.toContain('leakwatch started');
  });
});

describe('reload reaches every part', () => {
  it('a new http.token is required at once (the old one refused) and a new log.level applies to every logger', async () => {
    const made = daemonFor(yaml('http: { listen: "127.0.0.1:0", token: "old-token-1111" }'));
    daemon = made.daemon;
    await daemon.start();
    const url = daemon.httpUrl!;
    const status = (token: string) => fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await status('old-token-1111')).toBe(200);
    expect(logged).not.toContain('level=debug');

    const next = parseConfig(yaml(`http: { listen: "${url.replace('http://', '')}", token: "new-token-2222" }`, 'debug'), { path: join(dir, 'leakwatch.yaml') });
    await daemon.reload(next);
    expect(daemon.httpUrl).toBe(url);
    expect(await status('old-token-1111')).toBe(401);
    expect(await status('new-token-2222')).toBe(200);
    // The listener's own child logger now writes debug lines: one per request.
    expect(logged).toMatch(/level=debug msg=request component=http method=GET path=\/healthz status=200/);
    expect(logged).toContain('msg="configuration reloaded"');

    logged = '';
    await daemon.reload({ ...next, log: { level: 'warn', format: 'json' } });
    await status('new-token-2222');
    // JSON now, and nothing below warn (a failing scrape of the dead target may warn).
    const levels = logged.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { level: string }).level);
    expect(levels.filter((l) => l !== 'warn' && l !== 'error')).toEqual([]);
    expect(logged).not.toContain('configuration reloaded');
  });

  it('a new http.listen moves the listener; removing http closes it', async () => {
    daemon = daemonFor(yaml('http: { listen: "127.0.0.1:0" }')).daemon;
    await daemon.start();
    const old = daemon.httpUrl!;
    const free = await takenPort();
    await new Promise((ok) => blocker!.close(ok));
    blocker = undefined;
    const path = join(dir, 'leakwatch.yaml');
    await daemon.reload(parseConfig(yaml(`http: { listen: "127.0.0.1:${free}" }`), { path }));
    expect(daemon.httpUrl).toBe(`http://127.0.0.1:${free}`);
    expect((await fetch(`${daemon.httpUrl}/healthz`)).status).toBeLessThan(600);
    await expect(fetch(`${old}/healthz`)).rejects.toThrow();
    await daemon.reload(parseConfig(yaml(''), { path }));
    expect(daemon.httpUrl).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${free}/healthz`)).rejects.toThrow();
    expect(daemon.running).toEqual(['log', 'store', 'decode workers', 'outbox', 'jobs', 'discovery', 'http']);
  });

  it('`leakwatch run` on SIGHUP: the rotated token replaces the old one, debug lines appear, and the new token is never logged', async () => {
    const path = writeConfig(dir, yaml('http: { listen: "127.0.0.1:0", token: "first-token-aaaa" }'));
    const run = startDaemon(path);
    try {
      const url = /url=(\S+)/.exec(await run.waitForLog(/msg="http listening" component=http url=\S+/))![1];
      const status = (token: string) => fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      expect(await status('first-token-aaaa')).toBe(200);
      writeFileSync(path, yaml('http: { listen: "127.0.0.1:0", token: "second-token-bbbb" }', 'debug'));
      run.proc.kill('SIGHUP');
      await run.waitForLog(/configuration reloaded/);
      expect(await status('first-token-aaaa')).toBe(401);
      expect(await status('second-token-bbbb')).toBe(200);
      await run.waitForLog(/level=debug msg=request component=http method=GET path=\/healthz status=200/);
      expect(run.logs()).not.toContain('second-token-bbbb');
    } finally {
      expect(await run.stop()).toBe(0);
    }
  });
});
