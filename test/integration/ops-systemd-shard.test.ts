/**
 * systemd/leakwatch@.service: one templated unit per shard (issue 13). The instance name is the
 * escaped shard ("0-2" for 0/2); %I hands it to LEAKWATCH_SHARD, which the daemon parses.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shardFromEnv } from '../../src/discover/shard.js';

const UNIT = resolve(dirname(fileURLToPath(import.meta.url)), '../../systemd/leakwatch@.service');
const unitText = readFileSync(UNIT, 'utf8');
const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
if (!haveAnalyze && process.env.LEAKWATCH_REQUIRE_SYSTEMD === '1') throw new Error('LEAKWATCH_REQUIRE_SYSTEMD=1 but systemd-analyze is not on PATH');
if (!haveAnalyze) console.warn('\n*** SKIPPING systemd-analyze checks of leakwatch@.service: no systemd-analyze ***\n');

const directives = (key: string) => [...unitText.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);

describe('systemd/leakwatch@.service', () => {
  it('gives each shard its shard number, its own state directory and database, and an optional env file', () => {
    expect(directives('Environment')).toContain('LEAKWATCH_SHARD=%I LEAKWATCH_DATABASE=/var/lib/leakwatch/shard-%i/leakwatch.db');
    expect(directives('StateDirectory')).toEqual(['leakwatch/shard-%i']);
    expect(directives('EnvironmentFile')).toContain('-/etc/leakwatch/shard-%i.env');
    expect(directives('ExecStart')).toEqual(['/usr/bin/leakwatch run --config /etc/leakwatch/leakwatch.yaml']);
  });

  it.skipIf(!haveAnalyze)('systemd unescapes the instance name to what LEAKWATCH_SHARD accepts', () => {
    const r = spawnSync('systemd-escape', ['--unescape', '0-2'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('0/2');
    expect(shardFromEnv(r.stdout.trim(), undefined)).toEqual({ index: 0, count: 2 });
  });

  it.skipIf(!haveAnalyze)('an instance verifies cleanly and is rated OK by systemd-analyze security', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakwatch-unit-'));
    try {
      const copy = join(dir, 'leakwatch@0-2.service');
      writeFileSync(copy, unitText.replace(/^ExecStart=\/usr\/bin\/leakwatch /m, 'ExecStart=/usr/bin/env leakwatch '));
      const v = spawnSync('systemd-analyze', ['verify', '--no-pager', copy], { encoding: 'utf8' });
      expect(v.stderr + v.stdout).toBe('');
      const s = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', copy], { encoding: 'utf8' });
      expect(s.stdout + s.stderr).toMatch(/Overall exposure level for leakwatch@0-2\.service: \d+(\.\d+)? OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
