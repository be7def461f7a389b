import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { serviceFor } from '../../src/discover/rules.js';
import { servicesFromTargets } from '../../src/discover/discovery.js';
import { expandTemplate } from '../../src/discover/template.js';

const FLEET = `
channels:
  oncall: { type: slack, webhookUrl: "https://hooks.example.com/x" }
  team: { type: slack, webhookUrl: "https://hooks.example.com/y" }
defaults:
  window: 2h
  thresholds: { heapGrowth: 20MB/h }
  alert: team
discovery:
  sources:
    - files: [targets/*.json]
rules:
  - match: { job: checkout }
    thresholds: { heapGrowth: 5MB/h }
    alert: [oncall]
  - match: { env: "=~prod|staging", job: "=~api-.*" }
    window: 4h
    limits: { heap: 1GB }
  - match: { env: prod }
    window: 8h
`;

function fleetOf(text: string): FleetConfig {
  const c = parseConfig(text, { path: '/etc/leakwatch/leakwatch.yaml', env: {} });
  expect(c.fleet).toBeDefined();
  return c.fleet!;
}

function errorsOf(text: string): string[] {
  try {
    parseConfig(text, { path: '/etc/leakwatch/leakwatch.yaml', env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).errors;
  }
  throw new Error('expected the config to be rejected');
}

const target = (labels: Record<string, string>) => ({ labels: { instance: '10.0.0.1:8080', ...labels }, source: 'file:/t.json' });

describe('rules by labels', () => {
  const fleet = fleetOf(FLEET);
  const cases: [string, Record<string, string>, { window: number; heapGrowth: number; alert: string[]; heapLimit?: number }][] = [
    ['equality: the checkout rule', { job: 'checkout', env: 'prod' }, { window: 2 * 3_600_000, heapGrowth: 5e6, alert: ['oncall'], heapLimit: undefined }],
    ['regex on two labels, both must hold', { job: 'api-users', env: 'staging' }, { window: 4 * 3_600_000, heapGrowth: 20e6, alert: ['team'], heapLimit: 1e9 }],
    ['first match wins over a later rule', { job: 'api-users', env: 'prod' }, { window: 4 * 3_600_000, heapGrowth: 20e6, alert: ['team'], heapLimit: 1e9 }],
    ['regex is anchored: "api-x" does not match "=~prod|staging" with env "preprod"', { job: 'api-x', env: 'preprod' }, { window: 2 * 3_600_000, heapGrowth: 20e6, alert: ['team'] }],
    ['a later rule when earlier ones miss', { job: 'billing', env: 'prod' }, { window: 8 * 3_600_000, heapGrowth: 20e6, alert: ['team'] }],
    ['no rule: defaults only', { job: 'billing', env: 'dev' }, { window: 2 * 3_600_000, heapGrowth: 20e6, alert: ['team'] }],
  ];
  for (const [what, labels, want] of cases) {
    it(what, () => {
      const r = serviceFor(target(labels), fleet);
      if (!('service' in r)) throw new Error(r.error);
      const s = r.service;
      expect(s.window).toBe(want.window);
      expect(s.thresholds.heapGrowth?.value).toBe(want.heapGrowth);
      expect(s.thresholds.sysGrowth?.value).toBe(20e6);
      expect(s.alert).toEqual(want.alert);
      expect(s.limits.heap).toBe(want.heapLimit);
    });
  }

  it('the default template names the service job/instance and points at its pprof and /metrics', () => {
    const r = serviceFor(target({ job: 'checkout' }), fleet);
    if (!('service' in r)) throw new Error(r.error);
    expect(r.service.name).toBe('checkout/10.0.0.1:8080');
    expect(r.service.pprof).toBe('http://10.0.0.1:8080/debug/pprof');
    expect(r.service.metrics).toBe('http://10.0.0.1:8080/metrics');
    expect(r.service.origin).toEqual({ labels: { job: 'checkout', instance: '10.0.0.1:8080' }, source: 'file:/t.json' });
  });

  it('a target lacking a label the template needs gets no service, and says which label', () => {
    expect(serviceFor({ labels: { instance: 'h:1' }, source: 'x' }, fleet)).toEqual({ error: 'template.name needs label "job", which the target lacks' });
  });

  it('a custom template; null leaves a source out', () => {
    const f = fleetOf(`${FLEET}template: { name: "{{ env }}-{{job}}", pprof: "http://{{instance}}/dbg/pprof/", metrics: null }\n`);
    const r = serviceFor(target({ job: 'api', env: 'prod' }), f);
    if (!('service' in r)) throw new Error(r.error);
    expect([r.service.name, r.service.pprof, r.service.metrics]).toEqual(['prod-api', 'http://10.0.0.1:8080/dbg/pprof', undefined]);
  });

  it('expandTemplate leaves text without placeholders alone', () => {
    expect(expandTemplate('plain', {})).toEqual({ value: 'plain' });
    expect(expandTemplate('{{a}}:{{b}}', { a: 'x', b: 'y' })).toEqual({ value: 'x:y' });
  });
});

describe('fleet config errors name their path', () => {
  const base = 'discovery:\n  sources:\n    - files: [a.json]\n';
  const cases: [string, string, string[]][] = [
    ['a bad regex in a rule', `${base}rules:\n  - match: { env: "=~(prod" }\n`, [
      'rules[0].match.env: expected a regular expression after "=~" (Invalid regular expression: /^(?:(prod)$/: Unterminated group), got "=~(prod"',
    ]],
    ['an unknown key in a rule', `${base}rules:\n  - match: { job: a }\n    windw: 1h\n`, ['rules[0].windw: unknown key (did you mean "window"?)']],
    ['a rule alerting an unknown channel', `${base}rules:\n  - match: { job: a }\n    alert: pager\n`, ['rules[0].alert: unknown channel "pager" (no channels are defined)']],
    ['a source with both kinds', 'discovery:\n  sources:\n    - { files: [a.json], prometheus: "http://p:9090" }\n', [
      'discovery.sources[0]: needs exactly one of files, prometheus',
    ]],
    ['match on a file source', 'discovery:\n  sources:\n    - { files: [a.json], match: "{job=\\"a\\"}" }\n', [
      'discovery.sources[0].match: only applies to a prometheus source',
    ]],
    ['samples of an unknown kind', 'discovery:\n  sources:\n    - { prometheus: "http://p:9090", samples: pull }\n', [
      'discovery.sources[0].samples: expected one of scrape, prometheus, got "pull"',
    ]],
    ['a shard index out of range', `${base}shard: { count: 2, index: 2 }\n`, ['shard.index: must be below count (2)']],
    ['a template placeholder that is not one', `${base}template: { name: "{{job}" }\n`, ['template.name: expected text with {{label}} placeholders, got "{{job}"']],
    ['neither services nor discovery', 'log: { level: info }\n', ['services: is required']],
  ];
  for (const [what, text, want] of cases) it(what, () => expect(errorsOf(text)).toEqual(want));

  it('discovery without services is a valid config, with the built-in fleet defaults', () => {
    const f = fleetOf(base);
    expect(f.refresh).toBe(30_000);
    expect(f.goneAfter).toBe(600_000);
    expect(f.sources).toEqual([{ kind: 'files', files: ['/etc/leakwatch/a.json'] }]);
    expect(f.shard).toBeUndefined();
  });
});

describe('servicesFromTargets', () => {
  it('skips a target without a name, and a second target giving the same name, saying why', () => {
    const fleet = fleetOf(FLEET);
    const r = servicesFromTargets([
      { labels: { job: 'a', instance: 'h:1' }, source: 'file:/x.json' },
      { labels: { instance: 'h:2' }, source: 'file:/x.json' },
      { labels: { job: 'a', instance: 'h:1' }, source: 'file:/y.json' },
    ], fleet, undefined);
    expect(r.services.map((s) => s.name)).toEqual(['a/h:1']);
    expect(r.problems).toEqual([
      'file:/x.json: target h:2: template.name needs label "job", which the target lacks',
      'file:/y.json: target h:1: service "a/h:1" already comes from file:/x.json; ignored',
    ]);
  });
});
