/**
 * Journal detection as systemd does it: JOURNAL_STREAM names the device and inode of the stream
 * stderr is connected to. A child process logs with the default stream (stderr) into a file; the
 * prefix appears only when JOURNAL_STREAM matches that file.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const LOG_JS = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/log/log.js')).href;
const dir = mkdtempSync(join(tmpdir(), 'leakwatch-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function logVia(name: string, journalStream: (path: string) => string | undefined): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const env = { ...process.env };
  delete env.JOURNAL_STREAM;
  const js = journalStream(path);
  if (js !== undefined) env.JOURNAL_STREAM = js;
  const script = `const { createLogger } = await import(${JSON.stringify(LOG_JS)});
    const log = createLogger({ level: 'info', format: 'text' });
    log.info('hello', { service: 'checkout' }); log.error('boom');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', fd], env });
  closeSync(fd);
  expect(r.status).toBe(0);
  return readFileSync(path, 'utf8');
}

describe('logger under systemd-journald', () => {
  it('uses <N> priority prefixes when JOURNAL_STREAM names stderr', () => {
    const out = logVia('journal.log', (p) => {
      const st = statSync(p);
      return `${st.dev}:${st.ino}`;
    });
    expect(out).toBe('<6>level=info msg=hello service=checkout\n<3>level=error msg=boom\n');
  });

  it('falls back to timestamped logfmt when JOURNAL_STREAM names another stream or is unset', () => {
    for (const out of [logVia('other.log', () => '1:2'), logVia('plain.log', () => undefined)]) {
      const lines = out.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^time=\d{4}-\d\d-\d\dT[\d:.]+Z level=info msg=hello service=checkout$/);
      expect(lines[1]).toMatch(/^time=\S+ level=error msg=boom$/);
    }
  });
});
