/**
 * No Docker engine runs here, so the Dockerfile is checked statically (stages, user, volume, what
 * is copied and not ignored), and its HEALTHCHECK command is run for real against the HTTP server.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/log.js';
import { listening } from '../helpers/http.js';
import { type HealthSource, type HttpServer } from '../../src/web/server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

interface Instruction { op: string; args: string }
/** Instructions per stage, continuation lines joined, comments dropped. */
function stages(): Instruction[][] {
  const logical = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const out: Instruction[][] = [];
  for (const line of logical) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line)!;
    if (op.toUpperCase() === 'FROM') out.push([]);
    out[out.length - 1]?.push({ op: op.toUpperCase(), args: args.trim() });
  }
  return out;
}
const all = stages();
const runtime = all[all.length - 1];
const find = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile (static)', () => {
  it('builds in one stage and runs node:20-bookworm-slim in another', () => {
    expect(all.length).toBe(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(find(all[0], 'FROM')).toEqual(['${NODE_IMAGE} AS build']);
    expect(find(runtime, 'FROM')).toEqual(['${NODE_IMAGE}']);
  });

  it('never lets npm run lifecycle scripts (prepare would run tsc without sources) and builds better-sqlite3 explicitly', () => {
    const runs = all.flatMap((s) => find(s, 'RUN')).join('\n');
    for (const m of runs.matchAll(/npm (ci|install|prune)[^&\n]*/g)) expect(m[0]).toContain('--ignore-scripts');
    expect(runs).toContain('npm rebuild better-sqlite3');
    expect(find(runtime, 'RUN').join('\n')).not.toMatch(/npm (ci|install|rebuild)/);
  });

  it('runs as a non-root user with state in a volume and config under /etc/leakwatch', () => {
    const user = find(runtime, 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(find(runtime, 'VOLUME').join(' ')).toContain('/var/lib/leakwatch');
    expect(JSON.parse(find(runtime, 'CMD')[0])).toEqual(['run', '--config', '/etc/leakwatch/leakwatch.yaml']);
    const entry = JSON.parse(find(runtime, 'ENTRYPOINT')[0]) as string[];
    // The executable (its #! line carries the malloc setting), linked from the bin entry.
    expect(entry).toEqual(['/usr/local/bin/leakwatch']);
    expect(find(runtime, 'RUN').join('\n')).toContain(`ln -s /opt/leakwatch/${pkg.bin.leakwatch} /usr/local/bin/leakwatch`);
  });

  it('copies into the runtime only what the build produces or the repo holds', () => {
    const copies = find(runtime, 'COPY').map((a) => a.split(/\s+/));
    for (const parts of copies) {
      expect(parts[0]).toBe('--from=build');
      const rel = parts[1].replace(/^\/src\//, '');
      // dist/ comes from tsc (global setup builds it), node_modules from the install.
      expect(existsSync(join(ROOT, rel)), `${rel} missing`).toBe(true);
    }
    expect(copies.map((p) => p[1])).toEqual(expect.arrayContaining(['/src/dist', '/src/node_modules', '/src/migrations', '/src/package.json']));
  });

  it('.dockerignore keeps out local state but nothing the build needs', () => {
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'migrations', 'config'];
    // Whatever `npm run build` reads (e.g. scripts/postbuild.mjs) must reach the build stage too;
    // dist/ is what it writes.
    for (const m of pkg.scripts.build.matchAll(/\b([\w.-]+)\/[\w./-]+/g)) if (m[1] !== 'dist') needed.push(m[1]);
    for (const path of needed) expect(ignore, `${path} is ignored`).not.toContain(path);
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '*.db']));
  });
});

describe('Dockerfile HEALTHCHECK command', () => {
  const hc = /^HEALTHCHECK .*CMD (\[.*\])$/m.exec(dockerfile.replace(/\\\n\s*/g, ''));
  const argv = JSON.parse(hc![1]) as string[];
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  const src = (ok: boolean): HealthSource => ({
    health: () => ({ ok, db: ok, services: [] }),
    metrics: () => ({ services: [], outboxDepth: 0 }),
  });
  async function probe(env: Record<string, string>): Promise<number> {
    expect(argv[0]).toBe('node');
    try {
      await promisify(execFile)(process.execPath, argv.slice(1), { env: { ...process.env, ...env }, timeout: 10_000 });
      return 0;
    } catch (err) {
      return (err as { code?: number }).code ?? -1;
    }
  }

  it('exits 0 when /healthz says ok and 1 when it says 503', async () => {
    server = await listening({ listen: '127.0.0.1:0', source: src(true), log: silentLogger });
    expect(await probe({ LEAKWATCH_HEALTH_URL: `${server.url}/healthz` })).toBe(0);
    await server.stop();
    server = await listening({ listen: '127.0.0.1:0', source: src(false), log: silentLogger });
    expect(await probe({ LEAKWATCH_HEALTH_URL: `${server.url}/healthz` })).toBe(1);
  });

  it('sends the bearer token from LEAKWATCH_TOKEN, and fails when nothing listens', async () => {
    server = await listening({ listen: '127.0.0.1:0', token: 'hc-tok', source: src(true), log: silentLogger });
    const url = `${server.url}/healthz`;
    expect(await probe({ LEAKWATCH_HEALTH_URL: url })).toBe(1);
    expect(await probe({ LEAKWATCH_HEALTH_URL: url, LEAKWATCH_TOKEN: 'hc-tok' })).toBe(0);
    await server.stop();
    server = undefined;
    expect(await probe({ LEAKWATCH_HEALTH_URL: url, LEAKWATCH_TOKEN: 'hc-tok' })).toBe(1);
  });
});
