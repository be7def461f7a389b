/**
 * A daemon killed with SIGKILL after enqueueing (one delivery mid-send, the rest pending): a
 * new Outbox over the same database file delivers every alert, each exactly once.
 */
import BetterSqlite3 from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/alert/outbox.js';
import { createChannels } from '../../src/alert/registry.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { startSlackReceiver, startSmtpReceiver } from '../helpers/receivers.js';

const CHILD = resolve(import.meta.dirname, 'alert-crash-child.mjs');

/** Runs the child until it reports a send in flight, then SIGKILLs it. */
function runAndKill(dbPath: string): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [CHILD, dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`child did not start sending in 20 s; stdout: ${out} stderr: ${err}`));
    }, 20_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('SENDING')) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && out.includes('SENDING')) ok(out);
      else fail(new Error(`child exited ${code ?? signal} before sending; stdout: ${out} stderr: ${err}`));
    });
  });
}

describe('outbox after a crash', () => {
  it('a new worker delivers what a killed one left, each alert once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-crash-'));
    const slack = await startSlackReceiver();
    const smtp = await startSmtpReceiver();
    const dbPath = join(dir, 'leakwatch.db');
    let db: BetterSqlite3.Database | undefined;
    try {
      expect(await runAndKill(dbPath)).toContain('ENQUEUED');
      db = new BetterSqlite3(dbPath);
      migrate(db, loadMigrations().filter((m) => m.name === 'outbox'));
      const left = db.prepare('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status ORDER BY status').all();
      expect(left).toEqual([{ status: 'pending', n: 5 }, { status: 'sending', n: 1 }]);

      const outbox = new Outbox({
        db,
        channels: createChannels({
          'ops-slack': { type: 'slack', name: 'ops-slack', webhookUrl: slack.url },
          'oncall-mail': { type: 'email', name: 'oncall-mail', smtp: smtp.url, from: 'lw@example.com', to: ['oncall@example.com'], cc: [] },
        }),
      });
      expect(await outbox.deliverDue()).toBe(6);
      expect(await outbox.deliverDue()).toBe(0);
      expect(outbox.depth()).toBe(0);
      const slackIds = slack.received.map((r) => /svc(\d)/.exec(r.body.text ?? '')![1]).sort();
      const mailIds = smtp.messages.map((m) => /svc(\d)/.exec(m.parsed.subject ?? '')![1]).sort();
      expect(slackIds).toEqual(['1', '2', '3']);
      expect(mailIds).toEqual(['1', '2', '3']);
      // The interrupted one says so, and counts both attempts.
      const interrupted = [1, 2, 3].flatMap((i) => outbox.deliveries(i)).filter((d) => d.attempts === 2);
      expect(interrupted).toHaveLength(1);
      expect(interrupted[0].lastError).toMatch(/interrupted while sending/);
    } finally {
      db?.close();
      await slack.close();
      await smtp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
