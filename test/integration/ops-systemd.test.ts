/**
 * The shipped unit, checked by systemd's own tools. `verify` needs the ExecStart binary to exist, and
 * /usr/bin/leakwatch does not on a build machine, so the copy under test runs it through /usr/bin/env
 * (same arguments, same everything else).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UNIT = resolve(dirname(fileURLToPath(import.meta.url)), '../../systemd/leakwatch.service');
const unitText = readFileSync(UNIT, 'utf8');
const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
if (!haveAnalyze && process.env.LEAKWATCH_REQUIRE_SYSTEMD === '1') {
  throw new Error('LEAKWATCH_REQUIRE_SYSTEMD=1 but systemd-analyze is not on PATH: apt-get install systemd');
}
if (!haveAnalyze) console.warn('\n*** SKIPPING systemd-analyze checks: systemd-analyze not on PATH (apt-get install systemd) ***\n');

/** Directive values in [Service], in order (a key may repeat). */
function directives(key: string): string[] {
  return [...unitText.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);
}

describe('systemd/leakwatch.service: contents', () => {
  it('runs the daemon in the foreground with the documented paths', () => {
    expect(directives('Type')).toEqual(['simple']);
    expect(directives('ExecStart')).toEqual(['/usr/bin/leakwatch run --config /etc/leakwatch/leakwatch.yaml']);
    expect(directives('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(directives('Restart')).toEqual(['on-failure']);
    expect(directives('DynamicUser')).toEqual(['yes']);
    expect(directives('StateDirectory')).toEqual(['leakwatch']);
    expect(directives('ConfigurationDirectory')).toEqual(['leakwatch']);
  });

  it('can still read other services\' /proc/<pid>/status and open network connections', () => {
    expect(directives('ProtectProc')).not.toContain('invisible');
    expect(directives('ProtectProc')).not.toContain('noaccess');
    expect(directives('ProcSubset')).not.toContain('pid');
    expect(directives('PrivateNetwork')).toEqual([]);
    expect(directives('IPAddressDeny')).toEqual([]);
    const families = directives('RestrictAddressFamilies').join(' ').split(/\s+/);
    expect(families).toEqual(expect.arrayContaining(['AF_INET', 'AF_INET6', 'AF_UNIX']));
  });
});

describe.skipIf(!haveAnalyze)('systemd/leakwatch.service: systemd-analyze', () => {
  it('security --offline rates the exposure 2.0 or lower', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', UNIT], { encoding: 'utf8' });
    const out = r.stdout + r.stderr;
    const m = /Overall exposure level for leakwatch\.service: (\d+(?:\.\d+)?) (\w+)/.exec(out);
    expect(m, out).not.toBeNull();
    const exposure = Number(m![1]);
    console.log(`systemd-analyze security exposure: ${exposure} ${m![2]}`);
    expect(exposure).toBeLessThanOrEqual(2.0);
    expect(m![2]).toBe('OK');
  });

  it('verify reports nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakwatch-unit-'));
    try {
      const copy = join(dir, 'leakwatch.service');
      writeFileSync(copy, unitText.replace(/^ExecStart=\/usr\/bin\/leakwatch /m, 'ExecStart=/usr/bin/env leakwatch '));
      const r = spawnSync('systemd-analyze', ['verify', '--no-pager', copy], { encoding: 'utf8' });
      expect(r.stderr + r.stdout).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
