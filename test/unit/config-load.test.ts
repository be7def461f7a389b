import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultConfigPath, loadConfig, parseConfig } from '../../src/config/load.js';
import type { ServiceConfig } from '../../src/config/schema.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const repoConfig = fileURLToPath(new URL('../../config/', import.meta.url));

const SERVICE = 'services:\n  - { name: a, pprof: "http://127.0.0.1:1/debug/pprof" }\n';

describe('good configs', () => {
  it('a minimal config gets every built-in default', () => {
    const c = loadConfig(`${fixtures}minimal.yaml`, {});
    expect(c.configPath).toBe(`${fixtures}minimal.yaml`);
    expect(c.database).toBe('/var/lib/leakwatch/leakwatch.db');
    expect(c.http).toBeUndefined();
    expect(c.log).toEqual({ level: 'info', format: 'text' });
    expect(c.retention).toEqual({
      samples: 30 * 86_400_000, profiles: 7 * 86_400_000, scrapeLog: 7 * 86_400_000, pruneSchedule: '0 17 * * * *',
    });
    expect(c.channels).toEqual({});
    expect(c.services).toEqual([{
      name: 'checkout',
      pprof: 'http://127.0.0.1:6060/debug/pprof',
      expvar: undefined,
      metrics: undefined,
      pid: undefined,
      pidFile: undefined,
      systemdUnit: undefined,
      headers: {},
      schedule: '*/15 * * * * *',
      profileSchedule: '0 */5 * * * *',
      heapTextSchedule: '0 */5 * * * *',
      timeout: 5_000,
      maxBodySize: 64 * 1024 * 1024,
      window: 6 * 3_600_000,
      warmup: 15 * 60_000,
      thresholds: {
        heapGrowth: { value: 10_000_000, unit: 'bytes' },
        sysGrowth: { value: 20_000_000, unit: 'bytes' },
        rssGrowth: { value: 20_000_000, unit: 'bytes' },
        goroutineGrowth: { value: 100, unit: 'count' },
      },
      limits: {},
      cooldown: 3_600_000,
      lastGasp: 1_800_000,
      attributionWait: 30_000,
      alert: [],
      gogc: undefined,
    } satisfies ServiceConfig]);
  });

  it('services inherit defaults, override them, and merge thresholds and limits key by key', () => {
    const c = loadConfig(`${fixtures}inherit.yaml`, {});
    const [plain, custom] = c.services;
    expect(c.database).toBe(`${fixtures}state/leakwatch.db`);

    expect(plain.pprof).toBe('http://127.0.0.1:6060/debug/pprof');
    expect(plain.timeout).toBe(2_000);
    expect(plain.window).toBe(7_200_000);
    expect(plain.warmup).toBe(900_000);
    expect(plain.thresholds).toEqual({
      heapGrowth: { value: 5_000_000, unit: 'bytes' },
      sysGrowth: { value: 20_000_000, unit: 'bytes' },
      rssGrowth: { value: 20_000_000, unit: 'bytes' },
      goroutineGrowth: { value: 50, unit: 'count' },
    });
    expect(plain.limits).toEqual({ heap: 1024 ** 3, goroutines: 10_000 });
    expect(plain.alert).toEqual(['ops']);
    expect(plain.headers).toEqual({ 'X-Team': 'payments' });
    expect(plain.gogc).toBe(200);

    expect(custom.expvar).toBe('http://127.0.0.1:6061/debug/vars');
    expect(custom.pidFile).toBe(`${fixtures}run/custom.pid`);
    expect(custom.timeout).toBe(500);
    expect(custom.window).toBe(5_400_000);
    expect(custom.thresholds).toEqual({
      heapGrowth: { value: 5_000_000, unit: 'bytes' },
      sysGrowth: { value: 60, unit: 'percent' },
      rssGrowth: { value: 20_000_000, unit: 'bytes' },
    });
    expect(custom.limits).toEqual({ goroutines: 10_000, rss: 512_000_000 });
    expect(custom.alert).toEqual([]);
    expect(custom.headers).toEqual({ Authorization: 'Bearer x' });
    expect(custom.gogc).toBe(50);
    expect(c.channels.ops).toEqual({ type: 'slack', name: 'ops', webhookUrl: 'https://hooks.slack.com/services/T0/B0/x' });
  });

  it('heapTextSchedule defaults to the service\'s own profileSchedule, and may be set apart', () => {
    const text = [
      'defaults: { profileSchedule: "0 */10 * * * *" }',
      'services:',
      '  - { name: a, pprof: "http://127.0.0.1:1/debug/pprof" }',
      '  - { name: b, pprof: "http://127.0.0.1:1/debug/pprof", profileSchedule: "0 */2 * * * *" }',
      '  - { name: c, pprof: "http://127.0.0.1:1/debug/pprof", heapTextSchedule: "0 0 * * * *" }',
    ].join('\n');
    const [a, b, c] = parseConfig(text, { path: '/etc/leakwatch/c.yaml' }).services;
    expect([a.heapTextSchedule, b.heapTextSchedule, c.heapTextSchedule]).toEqual(['0 */10 * * * *', '0 */2 * * * *', '0 0 * * * *']);
  });

  it('a metric switched off in defaults can be switched back on by one service', () => {
    const text = [
      'defaults: { thresholds: { rssGrowth: off } }',
      'services:',
      '  - { name: a, pprof: "http://127.0.0.1:1/debug/pprof" }',
      '  - { name: b, pprof: "http://127.0.0.1:2/debug/pprof", thresholds: { rssGrowth: 1GB/d } }',
    ].join('\n');
    const [a, b] = parseConfig(text, { path: '/etc/leakwatch/c.yaml' }).services;
    expect(a.thresholds.rssGrowth).toBeUndefined();
    expect(b.thresholds.rssGrowth?.unit).toBe('bytes');
    expect(b.thresholds.rssGrowth?.value).toBeCloseTo(1e9 / 24, 3);
  });

  it('the shipped example is valid and means what its comments say', () => {
    const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x', SMTP_PASS: 'pw', CHECKOUT_TOKEN: 'tok' };
    const c = loadConfig(`${repoConfig}leakwatch.example.yaml`, env);
    expect(c.http).toEqual({ listen: '127.0.0.1:9470', token: undefined, publicUrl: 'https://leakwatch.example.com' });
    expect(c.services.map((s) => s.name)).toEqual(['checkout', 'search', 'gateway']);
    const [checkout, search, gateway] = c.services;
    expect(checkout.headers).toEqual({ Authorization: 'Bearer tok' });
    expect(checkout.thresholds.heapGrowth).toEqual({ value: 5_000_000, unit: 'bytes' });
    expect(checkout.alert).toEqual(['ops-slack', 'oncall-mail']);
    expect(search.thresholds.heapGrowth).toEqual({ value: 2, unit: 'percent' });
    expect(search.thresholds.rssGrowth).toBeUndefined();
    expect(search.limits).toEqual({ heap: 8 * 1024 ** 3, rss: 3 * 1024 ** 3, goroutines: 50_000 });
    expect(gateway.systemdUnit).toBe('gateway.service');
    expect(gateway.alert).toEqual(['ops-slack']);
    expect(c.channels['oncall-mail']).toEqual({
      type: 'email', name: 'oncall-mail', smtp: 'smtp://leakwatch:pw@mail.example.com:587',
      from: 'leakwatch <leakwatch@example.com>', to: ['oncall@example.com'], cc: ['platform-team@example.com'],
    });
  });

  it('the shipped example without its secrets names every missing variable', () => {
    expect(() => loadConfig(`${repoConfig}leakwatch.example.yaml`, {})).toThrow([
      'channels.ops-slack.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set',
      'channels.oncall-mail.smtp: environment variable SMTP_PASS is not set',
      'services[0].headers.Authorization: environment variable CHECKOUT_TOKEN is not set',
    ].join('\n'));
  });

  it('the bundled demo config is valid', () => {
    const c = loadConfig(`${repoConfig}demo.yaml`, {
      LEAKWATCH_DEMO_DB: ':memory:', LEAKWATCH_DEMO_SLACK: 'http://127.0.0.1:9/hook', LEAKWATCH_DEMO_TARGET: 'http://127.0.0.1:8',
    });
    expect(c.database).toBe(':memory:');
    expect(c.services[0].pprof).toBe('http://127.0.0.1:8/debug/pprof');
  });
});

describe('interpolation', () => {
  it('reads variables, defaults and secret files (relative to the config folder)', () => {
    const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/x', SMTP_PASS: 'p@ss:word', CHECKOUT_TOKEN: 'abc', TIMEOUT: '' };
    const c = loadConfig(`${fixtures}secrets.yaml`, env);
    expect(c.http?.token).toBe('hunter2-file-token');
    expect(c.channels.ops).toMatchObject({ webhookUrl: 'https://hooks.slack.com/x' });
    expect(c.channels.mail).toMatchObject({ smtp: 'smtps://lw:p@ss:word@mail.example.com:465' });
    expect(c.services[0].pprof).toBe('http://127.0.0.1:6060/debug/pprof');
    expect(c.services[0].headers).toEqual({ Authorization: 'Bearer abc' });
    expect(c.services[0].timeout).toBe(5_000);

    const overridden = loadConfig(`${fixtures}secrets.yaml`, { ...env, TARGET: 'http://10.0.0.5:7070', TIMEOUT: '2s' });
    expect(overridden.services[0].pprof).toBe('http://10.0.0.5:7070/debug/pprof');
    expect(overridden.services[0].timeout).toBe(2_000);
  });

  it('happens after YAML parsing, so quotes, colons and newlines in values are safe', () => {
    const text = 'services:\n  - { name: a, pprof: "http://127.0.0.1:1/debug/pprof", headers: { X-Weird: "${WEIRD}" } }\n';
    const c = parseConfig(text, { path: '/x/c.yaml', env: { WEIRD: 'a: "b"\n- c # d' } });
    expect(c.services[0].headers).toEqual({ 'X-Weird': 'a: "b"\n- c # d' });
  });

  it('$${ is a literal ${ and a lone $ is left alone', () => {
    const text = 'services:\n  - { name: a, pprof: "http://127.0.0.1:1/debug/pprof", headers: { X-A: "$${NOT_A_VAR} costs $5" } }\n';
    expect(parseConfig(text, { path: '/x/c.yaml', env: {} }).services[0].headers).toEqual({ 'X-A': '${NOT_A_VAR} costs $5' });
  });

  it('absolute secret file paths are read as they are', () => {
    const text = 'http: { token: "${file:/run/secrets/lw}" }\n' + SERVICE;
    const read: string[] = [];
    const c = parseConfig(text, { path: '/etc/leakwatch/c.yaml', readFile: (p) => (read.push(p), '  t0k\n') });
    expect(read).toEqual(['/run/secrets/lw']);
    expect(c.http?.token).toBe('t0k');
  });
});

describe('paths and small things', () => {
  const parse = (head: string) => parseConfig(head + SERVICE, { path: '/etc/leakwatch/leakwatch.yaml' });

  it('resolves database against the config folder and keeps :memory: and absolute paths', () => {
    expect(parse('database: lw.db\n').database).toBe('/etc/leakwatch/lw.db');
    expect(parse('database: ../state/lw.db\n').database).toBe('/etc/state/lw.db');
    expect(parse('database: /srv/lw.db\n').database).toBe('/srv/lw.db');
    expect(parse('database: ":memory:"\n').database).toBe(':memory:');
  });

  it('http defaults to loopback; loopback needs no token, others accept one', () => {
    expect(parse('http: {}\n').http).toEqual({ listen: '127.0.0.1:9470', token: undefined, publicUrl: undefined });
    expect(parse('http: { listen: "[::1]:9470" }\n').http?.listen).toBe('[::1]:9470');
    expect(parse('http: { listen: "localhost:0" }\n').http?.listen).toBe('localhost:0');
    expect(parse('http: { listen: ":9470", token: s3cret }\n').http?.token).toBe('s3cret');
  });

  it('log, retention and alert shorthands', () => {
    const c = parse('log: { level: debug, format: json }\nretention: { samples: 90d, pruneSchedule: "0 0 3 * * *" }\n');
    expect(c.log).toEqual({ level: 'debug', format: 'json' });
    expect(c.retention).toEqual({ samples: 90 * 86_400_000, profiles: 7 * 86_400_000, scrapeLog: 7 * 86_400_000, pruneSchedule: '0 0 3 * * *' });
  });

  it('YAML anchors and merge keys work; a free-standing anchor block is still an unknown key', () => {
    const merged = [
      'services:',
      '  - &first { name: a, pprof: "http://127.0.0.1:1/debug/pprof", timeout: 1s }',
      '  - { <<: *first, name: b }',
    ].join('\n');
    expect(parseConfig(merged, { path: '/x/c.yaml' }).services.map((s) => [s.name, s.timeout, s.pprof])).toEqual([
      ['a', 1000, 'http://127.0.0.1:1/debug/pprof'],
      ['b', 1000, 'http://127.0.0.1:1/debug/pprof'],
    ]);
    const extension = 'x-common: &common { timeout: 1s }\n' + SERVICE;
    expect(() => parseConfig(extension, { path: '/x/c.yaml' })).toThrow('x-common: unknown key');
  });

  it('defaultConfigPath: $LEAKWATCH_CONFIG, else /etc/leakwatch/leakwatch.yaml', () => {
    expect(defaultConfigPath({ LEAKWATCH_CONFIG: '/srv/lw.yaml' })).toBe('/srv/lw.yaml');
    expect(defaultConfigPath({})).toBe('/etc/leakwatch/leakwatch.yaml');
    expect(defaultConfigPath({ LEAKWATCH_CONFIG: '' })).toBe('/etc/leakwatch/leakwatch.yaml');
  });
});
