/**
 * What of a channel's config is secret, for the one redactor (format/redact.ts): a Slack webhook
 * URL is a bearer credential in its path, an SMTP URL carries a password.
 */
import type { ChannelConfig } from '../config/schema.js';
import { redactText, redactUrl } from '../format/redact.js';

/**
 * Text from the alert stage (a library's error that echoes its request): every URL in it is a
 * channel's, whose path may be its credential, so only scheme, host and port stay.
 */
export function redactAlertText(text: string, secrets: readonly string[] = []): string {
  return redactText(text, secrets, { pathIsSecret: true });
}

/** The secret strings a channel's config holds, for redactText. */
export function channelSecrets(config: ChannelConfig): string[] {
  if (config.type === 'slack') {
    const out = [config.webhookUrl];
    try {
      const u = new URL(config.webhookUrl);
      if (u.pathname.length > 1) out.push(u.pathname);
      for (const part of u.pathname.split('/')) if (part.length >= 10) out.push(part); // tokens, not "services"
    } catch {
      // an unparseable URL is masked whole
    }
    return out;
  }
  const out = [config.smtp];
  try {
    const u = new URL(config.smtp);
    if (u.password) out.push(u.password);
  } catch {
    // as above
  }
  return out;
}

/** A channel's target as status output may show it: scheme, host and port (a webhook's path is its credential). */
export function describeTarget(config: ChannelConfig): string {
  return redactUrl(config.type === 'slack' ? config.webhookUrl : config.smtp, { pathIsSecret: true });
}
