/**
 * `npm start`: the daemon on config/demo.yaml against a replay of a real leaking Go program,
 * with a loopback Slack webhook that prints the alert it receives. Ctrl-C stops it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { formatBytes } from '../format/units.js';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../log/log.js';
import { Store } from '../store/index.js';
import { IncidentStore } from '../store/incidents.js';
import { serviceStatus } from '../views/status.js';
import { startReplayTarget } from './target.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface SlackPayload {
  text?: string;
  blocks?: { type: string; text?: { text: string }; fields?: { text: string }[] }[];
}

/** Renders a Block Kit message for the terminal: what the on-call engineer would read. */
export function renderSlack(p: SlackPayload): string {
  const lines: string[] = [];
  for (const b of p.blocks ?? []) {
    if (b.text?.text) lines.push(b.text.text);
    for (const f of b.fields ?? []) lines.push(f.text.replace(/\n/g, ' '));
    if (b.type === 'divider') lines.push('─'.repeat(40));
  }
  const unescape = (t: string) => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const body = unescape(lines.length ? lines.join('\n') : (p.text ?? '')).split('\n');
  const width = Math.min(100, Math.max(...body.map((l) => l.length)));
  return ['┌' + '─'.repeat(width + 2) + '┐', ...body.map((l) => `│ ${l.padEnd(width)} │`), '└' + '─'.repeat(width + 2) + '┘'].join('\n');
}

async function startSlackPrinter(): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        process.stdout.write(`\n🔔 Slack alert received by the demo webhook:\n${renderSlack(JSON.parse(body) as SlackPayload)}\n\n`);
      } catch {
        process.stdout.write(`\nSlack webhook received: ${body}\n`);
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/demo/webhook`, close: () => server.close() };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-demo-'));
  const target = await startReplayTarget(join(root, 'config/demo/recording.jsonl.gz'));
  const slack = await startSlackPrinter();
  const env = { ...process.env, LEAKWATCH_DEMO_TARGET: target.base, LEAKWATCH_DEMO_SLACK: slack.url, LEAKWATCH_DEMO_DB: join(dir, 'demo.db') };
  const config = loadConfig(join(root, 'config/demo.yaml'), env);
  const log = createLogger({ level: 'info', format: 'text' });
  const daemon = new Daemon(config, log);
  await daemon.start();
  process.stdout.write(
    `leakwatch demo: watching "checkout", a replay of a real Go service leaking ~400 KB/s ` +
      `(${Math.round(target.durationMs / 1000)} s recording, looped) at ${target.base}\n` +
      `database ${config.database}; one-second scrapes, 40 s window.\n` +
      (daemon.httpUrl ? `dashboard ${daemon.httpUrl}/  (also ${daemon.httpUrl}/metrics and /healthz)\n` : '') +
      `Ctrl-C to stop.\n\n`,
  );
  const reader = Store.open(config.database);
  const incidents = new IncidentStore(reader.db);
  const show = setInterval(() => {
    for (const svc of config.services) {
      const s = serviceStatus(reader, incidents, svc);
      const heap = s.trends.heap ? `, heap trend ${formatBytes(s.trends.heap.slopePerHour)}/h` : '';
      process.stdout.write(
        `[${new Date().toISOString().slice(11, 19)}] ${s.name}: ${s.state}, ${s.samples} samples, ` +
          `heap ${formatBytes(s.latest.heapAlloc ?? 0)}, sys ${formatBytes(s.latest.sys ?? 0)}, ` +
          `goroutines ${s.latest.goroutines ?? '-'}${heap}, open incidents ${s.openIncidents}\n`,
      );
    }
  }, 2000);
  const stop = async () => {
    clearInterval(show);
    reader.close();
    await daemon.stop();
    slack.close();
    await target.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

void main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
