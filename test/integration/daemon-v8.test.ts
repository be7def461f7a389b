/**
 * `leakwatch run` sets its own V8 memory settings (daemon-v8.ts), however it is started: here as
 * `node dist/cli/main.js run`, without the executable's #! line. Its young generation stays at
 * 1 MB semi-spaces (2 MiB for the pair), where loading the daemon's modules alone takes V8's
 * default to 8 MB ones; its /metrics says so.
 */
import { afterEach, expect, it } from 'vitest';
import { startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';

let daemon: RunningDaemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
});

it('the daemon keeps a 1 MB young generation through start-up and its first scrapes', async () => {
  const dir = tempDir();
  const config = writeConfig(dir, `database: ${dir}/leakwatch.db
http:
  listen: 127.0.0.1:0
defaults:
  schedule: "* * * * * *"
services:
  - name: checkout
    expvar: http://127.0.0.1:1/debug/vars
    timeout: 500ms
`);
  daemon = startDaemon(config);
  const line = await daemon.waitForLog(/http listening[^\n]*http:\/\/127\.0\.0\.1:\d+/);
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];
  await daemon.waitForLog(/unreachable|connect ECONNREFUSED|scrape failed/);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const m = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m.exec(metrics);
  expect(m, metrics.slice(0, 2000)).not.toBeNull();
  expect(Number(m![1])).toBeLessThanOrEqual(2 * 1024 * 1024);
});
