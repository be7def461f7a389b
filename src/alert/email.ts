/**
 * Email channel: nodemailer over SMTP. `smtp://` upgrades with STARTTLS when the server offers
 * it, `smtps://` is TLS from the first byte, credentials come from the URL. The outbox owns
 * retrying; here a failure is only classified.
 */
import type { ChannelConfig } from '../config/schema.js';
import { buildEmailMessage } from './message-email.js';
import { alertMessageId } from './message.js';
import { channelSecrets, describeTarget, redactAlertText } from './redact.js';
import { DeliveryError, type AlertPayload, type Channel } from './types.js';

export type EmailChannelConfig = Extract<ChannelConfig, { type: 'email' }>;

export interface EmailOptions {
  /** Connect, greeting and idle-socket timeouts. */
  timeoutMs?: number;
}

interface SmtpErrorShape {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

/** Codes for failures where nothing reached the server or the connection broke. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS', 'EPROXY', 'ECONNREFUSED', 'ECONNRESET']);

/**
 * RFC 5321: 4yz is transient, 5yz permanent (except 503, a session-state error that a new
 * connection clears). Authentication failures (535, missing credentials) need a config fix.
 */
export function classifySmtpError(err: unknown, describe: (s: string) => string = (s) => s): DeliveryError {
  const e = (err ?? {}) as SmtpErrorShape;
  // A reply starts with its code ("535 Invalid login"): the message names the code once, up front.
  const code = typeof e.responseCode === 'number' ? String(e.responseCode) : '';
  const response = code && e.response?.startsWith(code) ? e.response.slice(code.length).replace(/^[\s-]+/, '') : e.response;
  const reply = response ? `: ${describe(response).slice(0, 300)}` : '';
  const during = e.command ? ` (during ${e.command.split(' ')[0]})` : '';
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    const transient = typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 500;
    return new DeliveryError(
      `SMTP authentication failed${e.responseCode ? ` (${e.responseCode})` : ''}${reply}: check the user and password in the smtp URL`,
      'smtp_auth',
      transient,
    );
  }
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
    const permanent = e.responseCode >= 500 && e.responseCode !== 503;
    const what = permanent ? 'refused the message' : 'deferred the message';
    return new DeliveryError(`SMTP server ${what} with ${e.responseCode}${during}${reply}`, 'smtp_reply', !permanent);
  }
  if (e.code && CONNECTION_CODES.has(e.code)) {
    return new DeliveryError(`SMTP connection failed (${e.code}): ${describe(e.message ?? '')}`, 'network', true);
  }
  if (e.code === 'ECONFIG' || e.code === 'EENVELOPE') {
    return new DeliveryError(`SMTP setup is invalid (${e.code}): ${describe(e.message ?? '')}`, 'config', false);
  }
  // Unknown failures are retried: the attempt cap bounds them, while a wrong "permanent" loses an alert.
  return new DeliveryError(`SMTP send failed${e.code ? ` (${e.code})` : ''}: ${describe(e.message ?? String(err))}`, 'unknown', true);
}

export class EmailChannel implements Channel {
  readonly type = 'email' as const;
  readonly name: string;
  readonly target: string;
  private readonly config: EmailChannelConfig;
  private readonly secrets: string[];
  private readonly timeoutMs: number;

  constructor(config: EmailChannelConfig, opts: EmailOptions = {}) {
    this.config = config;
    this.name = config.name;
    this.target = describeTarget(config);
    this.secrets = channelSecrets(config);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async send(payload: AlertPayload): Promise<void> {
    // Loaded on the first alert, not at start: nodemailer is ~13 MB of a watchdog that may never mail.
    const { createTransport } = await import('nodemailer');
    // One connection per message: alerts are rare, and a pooled socket would go stale between them.
    const transport = createTransport({
      url: this.config.smtp,
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
    });
    const msg = buildEmailMessage(payload);
    try {
      await transport.sendMail({
        from: this.config.from,
        to: this.config.to,
        cc: this.config.cc.length > 0 ? this.config.cc : undefined,
        subject: msg.subject,
        messageId: alertMessageId(payload.event),
        text: msg.text,
        html: msg.html,
        attachments: msg.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
      });
    } catch (err) {
      const d = classifySmtpError(err, (s) => redactAlertText(s, this.secrets));
      throw new DeliveryError(`email ${this.name} via ${this.target}: ${d.message}`, d.code, d.retryable);
    } finally {
      transport.close();
    }
  }
}
