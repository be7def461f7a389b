/**
 * The one redactor: secrets never leave through logs, errors, alerts or status output. A Slack
 * webhook URL is a bearer credential in its path, an SMTP or target URL may carry a password, a
 * query string a token. Everything is masked with the same MASK, so a reader learns one sign.
 */

export const MASK = '***';

/** Query parameters that are pprof's own and never secret; every other value is masked. */
const KEEP_QUERY = new Set(['debug', 'seconds', 'gc']);

/** Hosts whose URL path is itself the credential (incoming webhooks). */
const SECRET_PATH_HOSTS = new Set(['hooks.slack.com']);

/**
 * A URL as it may be shown: scheme, host, port and path kept so an operator can recognise it;
 * credentials, query values (other than pprof's) and fragments masked, and everything after the
 * host when the path is the credential (`pathIsSecret`, e.g. a channel's webhook URL, or a Slack
 * hooks URL anywhere). `smtp://user:pw@mail:587` → `smtp://***@mail:587`,
 * `https://hooks.slack.com/services/T/B/X` → `https://hooks.slack.com/***`,
 * `http://h:6060/debug/pprof/heap?debug=1&token=abc` → `http://h:6060/debug/pprof/heap?debug=1&token=***`.
 */
export function redactUrl(raw: string | URL, opts: { pathIsSecret?: boolean } = {}): string {
  const u = urlParts(raw);
  if (!u) return MASK;
  // Opaque URLs (mailto:) have no host: mask everything after the scheme.
  if (!u.host) return `${u.scheme}${MASK}`;
  const creds = u.hasCreds ? `${MASK}@` : '';
  let rest: string;
  if (opts.pathIsSecret || SECRET_PATH_HOSTS.has(u.hostname)) {
    rest = (u.path && u.path !== '/') || u.query || u.hash ? `/${MASK}` : '';
  } else {
    const params = new URLSearchParams();
    for (const [k, v] of new URLSearchParams(u.query)) params.append(k, KEEP_QUERY.has(k) ? v : MASK);
    const query = params.size > 0 ? `?${params}` : '';
    const path = u.path === '/' && !query && !u.hash ? '' : u.path;
    rest = `${path}${query}${u.hash ? `#${MASK}` : ''}`;
  }
  return `${u.scheme}//${creds}${u.host}${rest}`;
}

interface UrlParts {
  /** `https:` */
  scheme: string;
  hasCreds: boolean;
  host: string;
  hostname: string;
  path: string;
  query: string;
  hash: string;
}

/** Something that only looks like a URL (a config typo): split by its punctuation. */
const LOOSE_URL = /^([a-z][a-z0-9+.-]*:)\/\/(?:([^/?#\s@]*)@)?([^/?#\s]*)([^?#\s]*)(\?[^#\s]*)?(#\S*)?$/i;

function urlParts(raw: string | URL): UrlParts | undefined {
  try {
    const url = new URL(raw);
    return {
      scheme: url.protocol, hasCreds: url.username !== '' || url.password !== '', host: url.host, hostname: url.hostname,
      path: url.pathname, query: url.search, hash: url.hash,
    };
  } catch {
    const m = LOOSE_URL.exec(String(raw));
    if (!m) return undefined;
    const [, scheme, creds, host, path, query, hash] = m;
    return { scheme: scheme!, hasCreds: creds !== undefined, host: host!, hostname: host!.replace(/:[^:]*$/, ''), path: path!, query: query ?? '', hash: hash ?? '' };
  }
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;
const AUTH_IN_TEXT = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
const TOKEN_PARAM_IN_TEXT = /([?&](?:token|access_token|api_key|apikey|key|sig|signature)=)[^&\s"]+/gi;

/**
 * Masks secrets inside free text (an error message that echoes its request, a log line): every
 * URL through redactUrl (with `pathIsSecret` where every URL is a webhook, as in the alert
 * stage), `Bearer …`/`Basic …` credentials, token query parameters outside a full URL, and every
 * occurrence of the given known secrets (see maskSecrets).
 */
export function redactText(text: string, secrets: Iterable<string> = [], opts: { pathIsSecret?: boolean } = {}): string {
  const out = text
    .replace(URL_IN_TEXT, (u) => redactUrl(u, opts))
    .replace(AUTH_IN_TEXT, `$1 ${MASK}`)
    .replace(TOKEN_PARAM_IN_TEXT, `$1${MASK}`);
  return maskSecrets(out, secrets);
}

/**
 * Masks known secret values wherever they appear: raw, URL-encoded, URL-decoded and JSON-escaped,
 * longest first so a longer secret is masked whole before a part of it is. Values under 4
 * characters are skipped: masking them would garble ordinary text and hide nothing.
 */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < 4) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(JSON.stringify(s).slice(1, -1));
    try {
      forms.add(decodeURIComponent(s));
    } catch {
      // not URL-encoded: the other forms are enough
    }
  }
  let out = text;
  for (const f of [...forms].sort((a, b) => b.length - a.length)) {
    if (f.length >= 4 && out.includes(f)) out = out.split(f).join(MASK);
  }
  return out;
}

const SECRET_KEY = /(token|password|passwd|secret|webhook[_-]?url|authorization|api[_-]?key|cookie|credential|^pass$|^auth$)/i;

/** Structured fields with secret-named keys masked and every string redacted, at any depth. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactObject(fields, 0);
}

function redactObject(obj: object, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = SECRET_KEY.test(k) ? MASK : redactValue(v, depth);
  return out;
}

function redactValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return redactText(v);
  if (v instanceof Error) return redactText(v.message);
  if (v instanceof URL) return redactUrl(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth > 4) return '[…]';
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  return redactObject(v, depth + 1);
}
