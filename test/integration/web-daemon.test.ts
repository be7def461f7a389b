/**
 * The real daemon (`leakwatch run`, as `node dist/cli/main.js run`: without the executable's #! line)
 * serves the dashboard and API on http.listen, and runs with its own V8 settings (daemon-v8.ts).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startDaemon, tempDir, writeConfig, type RunningDaemon } from '../helpers/daemon.js';

describe('leakwatch run with http.listen', () => {
  let daemon: RunningDaemon | undefined;
  const dir = tempDir();
  afterAll(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let url = '';
  beforeAll(async () => {
    const config = writeConfig(dir, `database: ${dir}/leakwatch.db
http:
  listen: 127.0.0.1:0
  publicUrl: http://leakwatch.example
defaults:
  schedule: "* * * * * *"
services:
  - name: checkout
    expvar: http://127.0.0.1:1/debug/vars
    timeout: 500ms
`);
    daemon = startDaemon(config);
    const line = await daemon.waitForLog(/http listening[^\n]*http:\/\/127\.0\.0\.1:\d+/);
    url = /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];
  });

  it('serves the dashboard and the JSON API beside /healthz', async () => {
    // The target does not answer: after the first scrape the service shows as unreachable.
    let status: { services: { name: string; state: string }[] } | undefined;
    for (let tries = 0; tries < 80 && status?.services[0]?.state !== 'unreachable'; tries++) {
      if (tries > 0) await sleep(250);
      status = (await (await fetch(`${url}/api/status`)).json()) as typeof status;
    }
    expect(status!.services.map((s) => [s.name, s.state])).toEqual([['checkout', 'unreachable']]);

    const overview = await fetch(`${url}/`);
    expect(overview.status).toBe(200);
    expect(await overview.text()).toMatch(/<tr data-service="checkout">[\s\S]*?state-unreachable/);
    expect((await fetch(`${url}/services/checkout`)).status).toBe(200);
    expect((await fetch(`${url}/incidents/1`)).status).toBe(404);
    expect((await fetch(`${url}/api/incidents`)).status).toBe(200);
  });

  it('keeps a 1 MB young generation through start-up and its first scrapes, as its /metrics says', async () => {
    // 1 MB semi-spaces, 2 MiB for the pair: loading the daemon's modules alone takes V8's default to 8 MB ones.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const m = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m.exec(metrics);
    expect(m, metrics.slice(0, 2000)).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
});
