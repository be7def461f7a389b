import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';

const dir = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

function errorsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).errors;
  }
  throw new Error('expected the config to be rejected');
}

const errorsOfFile = (file: string, env: NodeJS.ProcessEnv = {}) => errorsOf(() => loadConfig(dir + file, env));

/** Each bad config and exactly what the user is told. */
const BAD: [file: string, description: string, errors: string[]][] = [
  ['unknown-key-top.bad.yaml', 'a misspelt top-level key', [
    'services: is required',
    'servces: unknown key (did you mean "services"?)',
  ]],
  ['unknown-key-nested.bad.yaml', 'a misspelt nested key', [
    'services[0].thresholds.heapgrowth: unknown key (did you mean "heapGrowth"?)',
  ]],
  ['bad-rate.bad.yaml', 'a rate that is not a rate (the design example)', [
    'services[2].thresholds.heapGrowth: expected a rate like "10MB/h", got "fast"',
  ]],
  ['count-rate-for-heap.bad.yaml', 'a count rate for a memory metric', [
    'defaults.thresholds.heapGrowth: expected a rate like "10MB/h", got "100/h"',
  ]],
  ['bytes-rate-for-goroutines.bad.yaml', 'a byte rate for goroutines', [
    'defaults.thresholds.goroutineGrowth: expected a rate like "100/h", got "10MB/h"',
  ]],
  ['bad-duration.bad.yaml', 'a duration in words', [
    'defaults.timeout: expected a positive duration like "15s" or "5m", got "5 seconds"',
  ]],
  ['bare-number-duration.bad.yaml', 'a duration without a unit', [
    'services[0].window: expected a positive duration like "15s" or "5m", got 3600',
  ]],
  ['bad-size.bad.yaml', 'a size in words', [
    'defaults.maxBodySize: expected a size like "512KB", "10MB" or "2GiB", got "64 megs"',
  ]],
  ['bad-limit.bad.yaml', 'limits that are not sizes or counts', [
    'services[0].limits.heap: expected a size like "512KB", "10MB" or "2GiB", got "lots"',
    'services[0].limits.goroutines: expected a whole number >= 1, got -5',
  ]],
  ['no-source.bad.yaml', 'a service with nothing to scrape', [
    'services[0]: needs at least one of pprof, expvar, metrics',
  ]],
  ['duplicate-name.bad.yaml', 'two services with one name', [
    'services[1].name: duplicate service name "checkout" (also services[0])',
  ]],
  ['two-process-keys.bad.yaml', 'pid and systemdUnit together', [
    'services[0].systemdUnit: set only one of pid, pidFile, systemdUnit (found pid and systemdUnit)',
  ]],
  ['bad-url.bad.yaml', 'a pprof URL that is not http(s)', [
    'services[0].pprof: expected an http:// or https:// URL, got "ftp://127.0.0.1/debug/pprof"',
  ]],
  ['bad-cron.bad.yaml', 'a schedule in words', [
    'services[0].schedule: expected a cron expression like "*/15 * * * * *" (needs 5 or 6 fields, found 2), got "every 15s"',
  ]],
  ['unknown-channel.bad.yaml', 'alerting to a channel that does not exist', [
    'services[0].alert[1]: unknown channel "pager" (defined: ops-slack)',
  ]],
  ['unknown-channel-type.bad.yaml', 'a channel type leakwatch does not have', [
    'channels.pager.type: unknown channel type "pagerduty" (known: slack, email)',
  ]],
  ['slack-missing-webhook.bad.yaml', 'a Slack channel without a webhook', [
    'channels.ops-slack.webhookUrl: is required',
  ]],
  ['email-bad.bad.yaml', 'an email channel with a bad server, sender and no recipients', [
    'channels.mail.smtp: expected an smtp:// or smtps:// URL, got a value',
    'channels.mail.from: expected an email address like "oncall@example.com", got "leakwatch"',
    'channels.mail.to: needs at least one address',
  ]],
  ['listen-needs-token.bad.yaml', 'the API on all interfaces without a token', [
    'http.token: is required when http.listen (0.0.0.0:9470) is not a loopback address',
  ]],
  ['bad-listen.bad.yaml', 'a listen address without a host part', [
    'http.listen: expected a host:port like "127.0.0.1:9470", got 9470',
  ]],
  ['bad-log-level.bad.yaml', 'a log level that does not exist', [
    'log.level: expected one of debug, info, warn, error, got "verbose"',
  ]],
  ['missing-env.bad.yaml', 'an unset environment variable', [
    'channels.ops-slack.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set',
  ]],
  ['missing-secret-file.bad.yaml', 'a secret file that does not exist', [
    `http.token: cannot read secret file ${dir}secrets/missing-token (ENOENT)`,
  ]],
  ['yaml-syntax.bad.yaml', 'an unterminated quote', [
    'line 4, column 1: Missing closing "quote',
  ]],
  ['duplicate-yaml-key.bad.yaml', 'a key given twice', [
    'line 4, column 5: Map keys must be unique',
  ]],
  ['no-services.bad.yaml', 'an empty service list', [
    'services: needs at least one service',
  ]],
  ['services-not-list.bad.yaml', 'services as a mapping', [
    'services: expected a list, got a mapping',
  ]],
  ['bad-service-name.bad.yaml', 'a service name with a space', [
    'services[0].name: expected a service name of letters, digits, "-", "_" and ".", got "my service"',
  ]],
  ['bad-header.bad.yaml', 'a header name with a space and a header value that is a number', [
    'services[0].headers["Bad Header"]: is not a valid HTTP header name',
    'services[0].headers.X-Num: expected a string, got a value',
  ]],
];

describe('bad configs: each names its path and says what was expected', () => {
  it.each(BAD)('%s (%s)', (file, _description, errors) => {
    expect(errorsOfFile(file)).toEqual(errors);
  });

  it('the table covers every *.bad.yaml but the two checked below', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(dir).filter((f) => f.endsWith('.bad.yaml')).sort();
    const covered = [...BAD.map(([f]) => f), 'many-errors.bad.yaml', 'secrets-leak.bad.yaml'].sort();
    expect(files).toEqual(covered);
  });

  it('reports every problem of a file at once, in file order', () => {
    expect(errorsOfFile('many-errors.bad.yaml')).toEqual([
      'http.token: is required when http.listen (0.0.0.0:9470) is not a loopback address',
      'log.format: expected one of text, json, got "xml"',
      'defaults.window: expected a positive duration like "15s" or "5m", got "forever"',
      'services[0].thresholds.heapGrowth: expected a rate like "10MB/h", got "fast"',
      'services[0].thresholds.rssGrowth: expected a rate like "10MB/h", got "1GB"',
      'services[1].name: duplicate service name "checkout" (also services[0])',
      'services[1].timout: unknown key (did you mean "timeout"?)',
      'services[1].alert[0]: unknown channel "pager" (defined: ops)',
      'services[2]: needs at least one of pprof, expvar, metrics',
    ]);
  });

  it('the error message is all errors, one per line', () => {
    try {
      loadConfig(`${dir}email-bad.bad.yaml`, {});
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).message).toBe((err as ConfigError).errors.join('\n'));
      expect((err as ConfigError).message.split('\n')).toHaveLength(3);
    }
  });

  it('an unreadable or empty file is a ConfigError too', () => {
    expect(errorsOfFile('does-not-exist.yaml')).toEqual([`${dir}does-not-exist.yaml: cannot read the config file (ENOENT)`]);
    expect(errorsOf(() => parseConfig('# nothing\n', { path: '/x/leakwatch.yaml' }))).toEqual([
      'config: the file is empty (it needs at least a services: list)',
    ]);
    expect(errorsOf(() => parseConfig('- a\n- b\n', { path: '/x/leakwatch.yaml' }))).toEqual([
      'config: expected a mapping, got a list',
    ]);
  });

  it('a broken ${…} reference is reported once, not again by the field it broke', () => {
    const text = 'services:\n  - { name: a, pprof: "http://127.0.0.1:1/debug/pprof", timeout: "${T" }\n';
    expect(errorsOf(() => parseConfig(text, { path: '/x/c.yaml', env: {} }))).toEqual([
      'services[0].timeout: unterminated "${" (write "$${" for a literal "${")',
    ]);
    const bad = 'services:\n  - { name: a, pprof: "http://127.0.0.1:1/debug/pprof", timeout: "${1X}" }\n';
    expect(errorsOf(() => parseConfig(bad, { path: '/x/c.yaml', env: {} }))).toEqual([
      'services[0].timeout: "${1X}" is not a valid environment variable reference',
    ]);
  });
});

describe('secrets never appear in messages', () => {
  const SECRET = /hunter2/;

  it('malformed secret fields say "got a value"; interpolated values name their reference', () => {
    const errors = errorsOfFile('secrets-leak.bad.yaml', { ENV_SECRET: 'hunter2-env' });
    expect(errors).toEqual([
      'http.token: expected a string, got a value',
      'channels.ops.webhookUrl: expected an http:// or https:// URL, got a value',
      'channels.mail.smtp: expected an smtp:// or smtps:// URL, got a value',
      'services[0].pprof: expected an http:// or https:// URL, got "http://***@127.0.0.1:6060:bad/debug/pprof"',
      'services[0].headers.Authorization: expected a string, got a value',
      'services[0].timeout: expected a positive duration like "15s" or "5m", got the value of "${ENV_SECRET}"',
    ]);
    for (const e of errors) expect(e).not.toMatch(SECRET);
  });

  it('a YAML syntax error does not print the offending line', () => {
    const text = 'channels:\n  ops: { type: slack, webhookUrl: "https://hooks.slack.com/hunter2 }\n';
    const errors = errorsOf(() => parseConfig(text, { path: '/x/c.yaml' }));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).not.toMatch(SECRET);
  });

  it('a secret from a file or the environment stays out of later errors', () => {
    const text = [
      'channels:',
      '  ops: { type: slack, webhookUrl: "${file:hook}" }',
      '  mail: { type: email, smtp: "${SMTP_URL}", from: a@example.com, to: b@example.com }',
      'services:',
      '  - { name: a, pprof: "http://127.0.0.1:1/debug/pprof", headers: { X-Key: "${KEY}" }, alert: [nope] }',
    ].join('\n');
    const errors = errorsOf(() => parseConfig(text, {
      path: '/x/c.yaml',
      env: { SMTP_URL: 'imap://hunter2@mail', KEY: 'hunter2' },
      readFile: () => 'hunter2-not-a-url\n',
    }));
    expect(errors).toEqual([
      'channels.ops.webhookUrl: expected an http:// or https:// URL, got a value',
      'channels.mail.smtp: expected an smtp:// or smtps:// URL, got a value',
      'services[0].alert[0]: unknown channel "nope" (defined: ops, mail)',
    ]);
  });
});
