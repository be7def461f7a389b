import { describe, expect, it } from 'vitest';
import { channelSecrets, describeTarget, redactAlertText } from '../../src/alert/redact.js';
import type { ChannelConfig } from '../../src/config/schema.js';

const slack: ChannelConfig = { type: 'slack', name: 'ops', webhookUrl: 'https://hooks.slack.com/services/T0123456789/B0123456789/abcdefghijklmnopqrstuvwx' };
const mail: ChannelConfig = {
  type: 'email',
  name: 'mail',
  smtp: 'smtp://alice:S3cr%2Ft-pw@mail.example.com:587',
  from: 'lw@example.com',
  to: ['oncall@example.com'],
  cc: [],
};

describe('redactAlertText', () => {
  it('hides every path: in the alert stage each URL is a webhook whose path may be its credential', () => {
    expect(redactAlertText('POST https://chat.example.com/hooks/3xuqyjnm1b8mbk6rzdfsqpx4ie failed: ECONNRESET')).toBe('POST https://chat.example.com/*** failed: ECONNRESET');
  });
});

describe('channelSecrets', () => {
  it('masks the secrets of a channel wherever they appear, raw or URL-encoded', () => {
    const secrets = channelSecrets(mail);
    const out = redactAlertText('535 auth failed for alice with S3cr/t-pw (S3cr%2Ft-pw) at smtp://alice:S3cr%2Ft-pw@mail.example.com:587', secrets);
    expect(out).not.toContain('S3cr');
    expect(out).toContain('smtp://***@mail.example.com:587');
    const s = redactAlertText('error at /services/T0123456789/B0123456789/abcdefghijklmnopqrstuvwx: no_service', channelSecrets(slack));
    expect(s).not.toContain('abcdefghijklmnopqrstuvwx');
    expect(s).toContain('no_service');
  });

  it('leaves ordinary words alone', () => {
    expect(redactAlertText('Slack answered HTTP 503: services unavailable', channelSecrets(slack))).toBe('Slack answered HTTP 503: services unavailable');
  });
});

describe('describeTarget', () => {
  it('shows where a channel sends without its secrets', () => {
    expect(describeTarget(slack)).toBe('https://hooks.slack.com/***');
    expect(describeTarget(mail)).toBe('smtp://***@mail.example.com:587');
    expect(describeTarget({ type: 'slack', name: 'self-hosted', webhookUrl: 'http://127.0.0.1:8080/hooks/s3cr3t' })).toBe('http://127.0.0.1:8080/***');
    expect(describeTarget({ ...mail, smtp: 'smtp://u:p@mail.example.com:25?tls.rejectUnauthorized=false' })).toBe('smtp://***@mail.example.com:25/***');
  });
});
