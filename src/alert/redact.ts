/**
 * Secrets never leave through logs, errors or status output: a Slack webhook URL is a bearer
 * credential in its path, an SMTP URL carries a password. Everything the alert stage prints
 * passes through here.
 */
import type { ChannelConfig } from '../config/schema.js';

const MASK = '***';

/**
 * Keeps what an operator needs to recognise the target (scheme, host, port) and hides the rest:
 * credentials, path, query and fragment. `https://hooks.slack.com/services/T/B/X` becomes
 * `https://hooks.slack.com/***`; `smtp://user:pw@mail:587` becomes `smtp://***@mail:587`.
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return MASK;
  }
  const creds = url.username || url.password ? `${MASK}@` : '';
  const hidden = (url.pathname && url.pathname !== '/') || url.search || url.hash ? `/${MASK}` : '';
  // URL.host is empty for opaque URLs (mailto:); fall back to masking everything after the scheme.
  if (!url.host) return `${url.protocol}${MASK}`;
  return `${url.protocol}//${creds}${url.host}${hidden}`;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;

/**
 * Redacts every URL found in free text and every occurrence of the given secrets (raw and
 * URL-encoded), e.g. an error message from a library that echoes its request.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  // URLs first, so a URL that is itself a secret still shows its host.
  let out = text.replace(URL_IN_TEXT, (u) => redactUrl(u));
  const variants = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    variants.add(s);
    variants.add(encodeURIComponent(s));
    try {
      variants.add(decodeURIComponent(s));
    } catch {
      // not URL-encoded: the raw form is enough
    }
  }
  // Longest first, so a longer secret is masked whole before a part of it is.
  for (const v of [...variants].sort((a, b) => b.length - a.length)) {
    if (v.length < 3) continue; // masking "ab" everywhere would garble the message and hide nothing
    out = out.split(v).join(MASK);
  }
  return out;
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

/** A channel's target as status output may show it. */
export function describeTarget(config: ChannelConfig): string {
  return config.type === 'slack' ? redactUrl(config.webhookUrl) : redactUrl(config.smtp);
}
