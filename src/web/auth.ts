/**
 * Who may talk to the HTTP listener. Loopback needs nothing (unless a token is configured);
 * anything else needs `Authorization: Bearer <token>`, and no token means no start.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseListen(listen: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`http.listen: expected host:port such as 127.0.0.1:9470, got "${listen}"`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** True only for addresses that cannot be reached from another machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Throws when the listener would be reachable from other machines without a token. */
export function assertListenAllowed(listen: string, token: string | undefined): ListenAddress {
  const addr = parseListen(listen);
  if (!isLoopbackHost(addr.host) && !token) {
    throw new Error(
      `http.listen: ${listen} is not a loopback address; set http.token (e.g. token: "\${LEAKWATCH_TOKEN}") ` +
        'or listen on 127.0.0.1',
    );
  }
  return addr;
}

/**
 * Constant-time check of `Authorization: Bearer <token>`. Both sides are hashed first so the
 * comparison time does not depend on the token's length either.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = createHash('sha256').update(m ? m[1] : '').digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want) && m !== null;
}
