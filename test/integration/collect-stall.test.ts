/**
 * A failure reason is only ever about the target: when leakwatch's own event loop stalls (a long
 * synchronous task), a target that answered at once is not reported as "timed out", and a tick
 * the stall made the cron ticker drop is counted as skipped, not lost silently.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBody } from '../../src/collect/http.js';
import { Scheduler, type Tick } from '../../src/daemon/scheduler.js';

/** Blocks this thread's event loop, as a hostile decode on the main thread once did. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

describe('our own stalled loop', () => {
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('fine\n'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('does not blame a target that answered while we were stalled', async () => {
    const pending = Promise.all([1, 2, 3].map(() => fetchBody(`${base}/x`, { timeoutMs: 300, maxBytes: 1024 })));
    // The requests go out on the next turn; the server answers during the stall; our 300 ms
    // deadlines are long past when the loop comes back.
    setImmediate(() => stall(1_500));
    const bodies = await pending;
    for (const b of bodies) expect(b.toString()).toBe('fine\n');
  });

  it('counts the ticks a stall made the cron ticker drop, and tells the next run', async () => {
    const ticks: Tick[] = [];
    const scheduler = new Scheduler(() => undefined);
    try {
      scheduler.add('svc/scrape', '* * * * * *', async (_due, tick) => void ticks.push(tick));
      scheduler.start();
      while (ticks.length < 1) await new Promise((r) => setTimeout(r, 50));
      stall(3_500);
      const after = ticks.length;
      while (ticks.length < after + 2) await new Promise((r) => setTimeout(r, 50));
      const stats = scheduler.stats('svc/scrape')!;
      const skipped = stats.skippedLate + stats.skippedBusy;
      expect(skipped).toBeGreaterThanOrEqual(2);
      expect(ticks.reduce((n, t) => n + t.skipped, 0)).toBe(skipped);
    } finally {
      await scheduler.stop();
    }
  }, 20_000);
});
