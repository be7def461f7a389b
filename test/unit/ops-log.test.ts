import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configSecrets } from '../../src/config/secrets.js';
import { createLogger, rateLimited, resetRateLimit, type LoggerOptions } from '../../src/log/log.js';

function capture(opts: Partial<LoggerOptions> = {}) {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d.toString()));
  const log = createLogger({ level: 'debug', format: 'text', stream, journal: false, now: () => Date.UTC(2026, 0, 2, 3, 4, 5), ...opts });
  return { log, lines: () => chunks.join('').split('\n').filter((l) => l !== '') };
}

describe('logger: text format', () => {
  it('writes one logfmt line per event with time, level, quoted msg and fields', () => {
    const { log, lines } = capture();
    log.info('scrape ok', { service: 'checkout', ms: 12, note: 'two words', absent: undefined });
    expect(lines()).toEqual(['time=2026-01-02T03:04:05.000Z level=info msg="scrape ok" service=checkout ms=12 note="two words"']);
  });

  it('keeps multi-line messages and errors on one line', () => {
    const { log, lines } = capture();
    log.error('decode failed\nsecond line', { err: new Error('parsing profile: bad "varint"') });
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toBe('time=2026-01-02T03:04:05.000Z level=error msg="decode failed\\nsecond line" err="parsing profile: bad \\"varint\\""');
  });

  it('drops events below the configured level', () => {
    const { log, lines } = capture({ level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines().map((l) => /level=(\w+)/.exec(l)![1])).toEqual(['warn', 'error']);
  });

  it('applyConfig changes level and format for the root and every child made before it', () => {
    const { log, lines } = capture({ level: 'info' });
    const child = log.child({ component: 'http' });
    child.debug('hidden');
    log.applyConfig({ level: 'debug', format: 'json' });
    child.debug('shown', { n: 1 });
    log.applyConfig({ level: 'error', format: 'text' });
    child.warn('hidden too');
    log.error('plain');
    expect(lines()).toEqual([
      '{"time":"2026-01-02T03:04:05.000Z","level":"debug","msg":"shown","component":"http","n":1}',
      'time=2026-01-02T03:04:05.000Z level=error msg=plain',
    ]);
  });

  it('uses sd-daemon priority prefixes and no timestamp under the journal', () => {
    const { log, lines } = capture({ journal: true });
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d', { service: 's' });
    expect(lines()).toEqual(['<7>level=debug msg=a', '<6>level=info msg=b', '<4>level=warn msg=c', '<3>level=error msg=d service=s']);
  });

  it('child loggers add their fields to every line', () => {
    const { log, lines } = capture();
    const svc = log.child({ service: 'checkout' }).child({ stage: 'collect' });
    svc.warn('slow', { ms: 900 });
    expect(lines()[0]).toMatch(/msg=slow service=checkout stage=collect ms=900$/);
  });
});

describe('logger: json format', () => {
  it('writes one JSON object per line', () => {
    const { log, lines } = capture({ format: 'json' });
    log.info('started', { services: 3, http: { listen: '127.0.0.1:9470' } });
    expect(JSON.parse(lines()[0])).toEqual({
      time: '2026-01-02T03:04:05.000Z', level: 'info', msg: 'started', services: 3, http: { listen: '127.0.0.1:9470' },
    });
  });
});

describe('logger: secrets are never written', () => {
  const cases: { desc: string; msg: string; fields: Record<string, unknown>; secret: string }[] = [
    { desc: 'token field', msg: 'x', fields: { token: 's3cr3t-tok' }, secret: 's3cr3t-tok' },
    { desc: 'password field', msg: 'x', fields: { smtpPassword: 'hunter2' }, secret: 'hunter2' },
    { desc: 'webhookUrl field', msg: 'x', fields: { webhookUrl: 'https://example.com/hook/abc123' }, secret: 'abc123' },
    { desc: 'Authorization header nested', msg: 'x', fields: { headers: { Authorization: 'Bearer zzz-top' } }, secret: 'zzz-top' },
    { desc: 'URL credentials in a field', msg: 'x', fields: { smtp: 'smtp://user:p4ssw0rd@mail.example.com:587' }, secret: 'p4ssw0rd' },
    { desc: 'URL credentials in the message', msg: 'connect smtp://bob:pw-in-msg@mail:25 failed', fields: {}, secret: 'pw-in-msg' },
    { desc: 'bearer token inside an error', msg: 'x', fields: { err: new Error('401 for Bearer abc.def.ghi') }, secret: 'abc.def.ghi' },
    { desc: 'Slack webhook path', msg: 'post to https://hooks.slack.com/services/T000/B000/XXXXsecret failed', fields: {}, secret: 'XXXXsecret' },
    { desc: 'API key header', msg: 'x', fields: { headers: { 'X-Api-Key': 'k-998877' } }, secret: 'k-998877' },
    { desc: 'token query parameter', msg: 'x', fields: { url: 'http://h/debug/vars?token=qparam1' }, secret: 'qparam1' },
  ];
  for (const format of ['text', 'json'] as const) {
    for (const c of cases) {
      it(`${format}: ${c.desc}`, () => {
        const { log, lines } = capture({ format });
        log.info(c.msg, c.fields);
        const out = lines().join('\n');
        expect(out).not.toContain(c.secret);
        expect(out).toContain('***');
      });
    }
  }

  it('masks known secret values wherever they appear, raw or URL-encoded, and follows updates', () => {
    const secrets = new Set(['X-custom-9f8e7d']);
    const { log, lines } = capture({ secrets });
    log.error('target said: unknown key X-custom-9f8e7d', { url: 'http://h/?k=X-custom-9f8e7d' });
    secrets.add('p@ss word/2');
    log.error('connect failed', { dsn: 'smtp://u:p%40ss%20word%2F2@h', raw: 'p@ss word/2' });
    const out = lines().join('\n');
    expect(out).not.toContain('9f8e7d');
    expect(out).not.toContain('word');
    expect(out.match(/\*\*\*/g)!.length).toBe(4);
  });

  it('collects every secret a config holds', () => {
    const config = parseConfig(
      `http: { listen: "0.0.0.0:9470", token: "\${TOK}" }
channels:
  s: { type: slack, webhookUrl: "https://hooks.example.com/T1/B2/\${HOOK}" }
  m: { type: email, smtp: "smtp://user:\${SMTP_PASS}@mail.example.com:587", from: a@example.com, to: [b@example.com] }
services:
  - name: checkout
    pprof: http://svc:pw-in-url@127.0.0.1:6060/debug/pprof
    headers: { Authorization: "Bearer \${CHECKOUT_TOKEN}" }
`,
      { path: '/tmp/leakwatch.yaml', env: { TOK: 'tok-1111', HOOK: 'hook-2222', SMTP_PASS: 'p@ss-3333', CHECKOUT_TOKEN: 'ck-4444' } },
    );
    const secrets = configSecrets(config);
    expect([...secrets].sort()).toEqual(
      ['Bearer ck-4444', 'ck-4444', 'https://hooks.example.com/T1/B2/hook-2222', 'p@ss-3333', 'pw-in-url', 'tok-1111'].sort(),
    );
    const { log, lines } = capture({ secrets });
    log.error('upstream echoed ck-4444 and tok-1111', {});
    expect(lines()[0]).not.toMatch(/4444|1111/);
  });

  it('keeps the non-secret parts of a URL so the line stays useful', () => {
    const { log, lines } = capture();
    log.warn('smtp', { smtp: 'smtp://user:pw@mail.example.com:587', target: 'http://127.0.0.1:6060/debug/pprof/heap?debug=1' });
    expect(lines()[0]).toContain('smtp://***@mail.example.com:587');
    expect(lines()[0]).toContain('http://127.0.0.1:6060/debug/pprof/heap?debug=1');
  });
});

describe('rateLimited', () => {
  it('logs once per interval per key and reports how many were suppressed', () => {
    const { log, lines } = capture();
    let t = 0;
    const now = () => t;
    for (let i = 0; i < 13; i++) {
      rateLimited(log, 'scrape:checkout', 60_000, now).warn('scrape failed', { service: 'checkout' });
      t += 1_000;
    }
    rateLimited(log, 'scrape:billing', 60_000, now).warn('scrape failed', { service: 'billing' });
    t = 61_000;
    rateLimited(log, 'scrape:checkout', 60_000, now).warn('scrape failed', { service: 'checkout' });
    expect(lines().map((l) => l.replace(/^time=\S+ /, ''))).toEqual([
      'level=warn msg="scrape failed" service=checkout',
      'level=warn msg="scrape failed" service=billing',
      'level=warn msg="scrape failed (12 similar suppressed)" service=checkout suppressed=12',
    ]);
  });

  it('children share the window; reset lets the next failure through at once', () => {
    const { log, lines } = capture();
    let t = 0;
    const limited = rateLimited(log, 'k', 10_000, () => t);
    limited.error('a');
    limited.child({ x: 1 }).error('a');
    expect(lines()).toHaveLength(1);
    resetRateLimit(log, 'k');
    t = 1;
    limited.error('a');
    expect(lines()).toHaveLength(2);
  });
});
