/**
 * What of a channel's config is secret, for the one redactor (format/redact.ts): a Slack webhook
 * URL is a bearer credential in its path, an SMTP URL carries a password.
 */
import type { ChannelConfig } from '../config/schema.js';
import { redactUrl } from '../format/redact.js';

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
