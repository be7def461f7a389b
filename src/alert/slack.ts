/**
 * Slack channel: Block Kit through an incoming webhook (@slack/webhook). The client's own
 * retries are off: the outbox owns retrying, so a failure surfaces at once, classified.
 */
import type { FetchFunction } from '@slack/webhook';
import type { ChannelConfig } from '../config/schema.js';
import { buildSlackMessage } from './message-slack.js';
import { channelSecrets, describeTarget, redactAlertText } from './redact.js';
import { DeliveryError, type AlertPayload, type Channel } from './types.js';

export type SlackChannelConfig = Extract<ChannelConfig, { type: 'slack' }>;

export interface SlackOptions {
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** HTTP Retry-After: seconds or an HTTP date; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Slack's answers: 429 rate limit (retry after Retry-After); 5xx outages (retry); 400
 * invalid_payload, 403 invalid_token/action_prohibited, 404 no_service/no_team, 410
 * channel_is_archived: the webhook or message is wrong and sending it again cannot help.
 */
export function classifySlackStatus(status: number, body: string, retryAfterMs?: number): DeliveryError {
  const detail = body ? `: ${body.slice(0, 200)}` : '';
  if (status === 429) return new DeliveryError(`Slack rate limited the webhook (HTTP 429)${detail}`, 'rate_limited', true, retryAfterMs);
  if (status >= 500 || status === 408) {
    return new DeliveryError(`Slack answered HTTP ${status}${detail}`, 'http_status', true, retryAfterMs);
  }
  const hint = status === 404 || status === 403 || status === 410 ? ' (check the webhook URL; it may be revoked)' : '';
  return new DeliveryError(`Slack refused the message: HTTP ${status}${detail}${hint}`, 'http_status', false);
}

interface HttpErrorShape {
  statusCode?: number;
  body?: string;
  code?: string;
  original?: Error;
}

export class SlackChannel implements Channel {
  readonly type = 'slack' as const;
  readonly name: string;
  readonly target: string;
  private readonly config: SlackChannelConfig;
  private readonly secrets: string[];
  private readonly timeoutMs: number;

  constructor(config: SlackChannelConfig, opts: SlackOptions = {}) {
    this.config = config;
    this.name = config.name;
    this.target = describeTarget(config);
    this.secrets = channelSecrets(config);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  async send(payload: AlertPayload): Promise<void> {
    // The client's errors do not carry response headers; a wrapping fetch keeps Retry-After.
    let retryAfter: string | null = null;
    const fetchWithHeaders: FetchFunction = async (url, init) => {
      const res = await globalThis.fetch(url, init as RequestInit);
      retryAfter = res.headers.get('retry-after');
      return res;
    };
    const { IncomingWebhook } = await import('@slack/webhook'); // on the first alert, not at start
    const webhook = new IncomingWebhook(this.config.webhookUrl, {
      fetch: fetchWithHeaders,
      timeout: this.timeoutMs,
      retryConfig: { retries: 0 },
    });
    const msg = buildSlackMessage(payload.event);
    try {
      await webhook.send({ text: msg.text, blocks: msg.blocks, unfurl_links: false, unfurl_media: false });
    } catch (err) {
      throw this.classify(err, parseRetryAfter(retryAfter));
    }
  }

  private classify(err: unknown, retryAfterMs: number | undefined): DeliveryError {
    const e = (err ?? {}) as HttpErrorShape;
    const redact = (s: string) => redactAlertText(s, this.secrets);
    if (e.code === 'slack_webhook_http_error' && typeof e.statusCode === 'number') {
      const d = classifySlackStatus(e.statusCode, redact(e.body ?? ''), retryAfterMs);
      return new DeliveryError(`slack ${this.name}: ${d.message}`, d.code, d.retryable, d.retryAfterMs);
    }
    // No answer (refused, reset, DNS, timeout): the receiver may be fine a moment later.
    const cause = e.original ?? (err instanceof Error ? err : undefined);
    const reason = cause ? describeCause(cause) : String(err);
    return new DeliveryError(`slack ${this.name}: no answer from ${this.target}: ${redact(reason)}`, 'network', true);
  }
}

/** fetch hides the useful part ("ECONNREFUSED") in `cause`. */
function describeCause(err: Error): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause && (cause.code || cause.message)) return `${err.message} (${cause.code ?? cause.message})`;
  return err.message;
}
