import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackChannel } from '../../src/alert/slack.js';
import { DeliveryError, type AlertEvent } from '../../src/alert/types.js';
import { SLACK_LIMITS } from '../../src/alert/message-slack.js';
import { SLACK_WEBHOOK_PATH, startSlackReceiver, type SlackReceiver } from '../helpers/receivers.js';

const event: AlertEvent = {
  kind: 'open',
  host: 'web-1',
  dashboardUrl: 'http://127.0.0.1:9470/incidents/3',
  incident: {
    id: 3, service: 'checkout', metric: 'heap', openedAt: Date.UTC(2026, 10, 26, 9), resolvedAt: null,
    slopePerHour: 12_400_000, confidence: 0.995, current: 640_000_000, limit: 2e9, timeToLimitHours: 109.7,
    topGrowth: [{ function: 'main.(*sessionStore).remember', deltaBytes: 30_000_000, deltaObjects: 9000, share: 0.9 }],
    topGoroutines: [], baselineProfileId: 4, currentProfileId: 9,
  },
};

async function sendError(ch: SlackChannel): Promise<DeliveryError> {
  const err = await ch.send({ event, profiles: {} }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe('Slack channel through the real @slack/webhook client', () => {
  let rx: SlackReceiver;
  beforeAll(async () => {
    rx = await startSlackReceiver();
  });
  afterAll(() => rx.close());

  it('posts Block Kit with a text fallback that the receiver accepts', async () => {
    const ch = new SlackChannel({ type: 'slack', name: 'ops', webhookUrl: rx.url });
    await ch.send({ event, profiles: {} });
    const msg = rx.received.at(-1)!;
    expect(msg.path).toBe(SLACK_WEBHOOK_PATH);
    expect(msg.headers['content-type']).toMatch(/application\/json/);
    expect(msg.body.text).toContain('[leakwatch] checkout: heap growing 12.4 MB/h');
    const blocks = msg.body.blocks!;
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🔴 Leak: checkout: heap growing 12.4 MB/h', emoji: true } });
    const all = JSON.stringify(blocks);
    for (const want of ['*Current*\\n640 MB', '*Confidence*\\n99.5%', '*Time to limit*\\n~4.6 d (limit 2 GB)', '`main.(*sessionStore).remember`', '--from 4 --to 9', '<http://127.0.0.1:9470/incidents/3|Open in the leakwatch dashboard>']) {
      expect(all).toContain(want);
    }
  });

  it('a revoked webhook (404) is a permanent failure, and the error hides the webhook secret', async () => {
    const ch = new SlackChannel({ type: 'slack', name: 'ops', webhookUrl: rx.url.replace('s3cr3t', 'r3v0k3d') });
    const err = await sendError(ch);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^slack ops: Slack refused the message: HTTP 404: no_service \(check the webhook URL/);
    expect(err.message).not.toMatch(/r3v0k3d|B0LEAKWATCH/);
  });

  it.each([
    [503, {}, 'http_status', undefined],
    [500, {}, 'http_status', undefined],
    [429, { 'retry-after': '7' }, 'rate_limited', 7000],
    [503, { 'retry-after': '2' }, 'http_status', 2000],
  ] as const)('HTTP %d %j is retryable (%s, retry after %s ms)', async (status, headers, code, retryAfterMs) => {
    rx.fail(1, status, headers);
    const err = await sendError(new SlackChannel({ type: 'slack', name: 'ops', webhookUrl: rx.url }));
    expect(err).toMatchObject({ retryable: true, code });
    expect(err.retryAfterMs).toBe(retryAfterMs);
  });

  it.each([[400, 'invalid_payload'], [403, 'invalid_token'], [410, 'channel_is_archived']])('HTTP %d %s is permanent', async (status, body) => {
    rx.fail(1, status, {}, body);
    const err = await sendError(new SlackChannel({ type: 'slack', name: 'ops', webhookUrl: rx.url }));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(body);
  });

  it('no answer (connection refused, timeout) is retryable and hides the URL path', async () => {
    const dead = await startSlackReceiver();
    const url = dead.url;
    await dead.close();
    const refused = await sendError(new SlackChannel({ type: 'slack', name: 'ops', webhookUrl: url }));
    expect(refused).toMatchObject({ retryable: true, code: 'network' });
    expect(refused.message).not.toContain('s3cr3t');
    expect(refused.message).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+\/\*\*\*/);

    rx.hang(1);
    const slow = await sendError(new SlackChannel({ type: 'slack', name: 'ops', webhookUrl: rx.url }, { timeoutMs: 300 }));
    expect(slow).toMatchObject({ retryable: true, code: 'network' });
    expect(slow.message).not.toContain('s3cr3t');
  });
});
