import { describe, expect, it } from 'vitest';
import { createChannels, testAlert } from '../../src/alert/registry.js';
import { DeliveryError, type AlertPayload, type Channel } from '../../src/alert/types.js';
import type { ChannelConfig } from '../../src/config/schema.js';

const slack = (name: string): ChannelConfig => ({ type: 'slack', name, webhookUrl: 'https://hooks.slack.com/services/T0123456789/B0123456789/secretsecretsecret' });
const mail = (name: string): ChannelConfig => ({ type: 'email', name, smtp: 'smtp://u:pw1234@mail.example.com:587', from: 'a@example.com', to: ['b@example.com'], cc: [] });

describe('createChannels', () => {
  it('builds one channel per config, keyed by name, from the config record', () => {
    const m = createChannels({ 'ops-slack': slack('ops-slack'), 'oncall-mail': mail('oncall-mail') });
    expect([...m.keys()]).toEqual(['ops-slack', 'oncall-mail']);
    expect(m.get('ops-slack')).toMatchObject({ type: 'slack', target: 'https://hooks.slack.com/***' });
    expect(m.get('oncall-mail')).toMatchObject({ type: 'email', target: 'smtp://***@mail.example.com:587' });
  });

  it('refuses unknown types and duplicate names, reporting all at once', () => {
    const bad = [slack('a'), { ...slack('a') }, { type: 'pagerduty', name: 'pd' } as unknown as ChannelConfig];
    expect(() => createChannels(bad)).toThrow(/channels\.a: duplicate channel name.*channels\.pd: unknown channel type "pagerduty" \(known: slack, email\)/);
  });
});

class Fake implements Channel {
  readonly type = 'slack' as const;
  readonly target = 'fake';
  got: AlertPayload[] = [];
  constructor(readonly name: string, private readonly fail?: Error) {}
  async send(p: AlertPayload): Promise<void> {
    if (this.fail) throw this.fail;
    this.got.push(p);
  }
}

describe('testAlert', () => {
  it('sends a marked test event to every channel, or the named ones, and reports each', async () => {
    const a = new Fake('a');
    const b = new Fake('b', new DeliveryError('slack b: Slack answered HTTP 503', 'http_status', true));
    const chans = new Map<string, Channel>([['a', a], ['b', b]]);
    const all = await testAlert(chans, undefined, { host: 'h1' });
    expect(all).toEqual([{ channel: 'a', ok: true }, { channel: 'b', ok: false, error: 'slack b: Slack answered HTTP 503' }]);
    expect(a.got[0].event.kind).toBe('test');
    expect(a.got[0].event.host).toBe('h1');
    const one = await testAlert(chans, ['a', 'zzz']);
    expect(one[0].ok).toBe(true);
    expect(one[1]).toEqual({ channel: 'zzz', ok: false, error: 'unknown channel "zzz" (configured: a, b)' });
    expect(a.got).toHaveLength(2);
  });

  it('redacts URLs from unexpected errors', async () => {
    const c = new Fake('c', new Error('boom at https://hooks.slack.com/services/T1/B2/SECRET'));
    const [r] = await testAlert(new Map([['c', c]]));
    expect(r.error).toBe('boom at https://hooks.slack.com/***');
  });
});
