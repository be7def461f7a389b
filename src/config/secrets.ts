/**
 * The secret values a config holds (tokens, webhook URLs, passwords in URLs, header values), for
 * the redactor (format/redact.ts) to mask wherever they appear.
 */
import type { Config } from './schema.js';

/** Every secret value a config holds, for `createLogger({ secrets })`; refill the Set on reload. */
export function configSecrets(config: Config, into: Set<string> = new Set()): Set<string> {
  into.clear();
  const urlPassword = (raw: string | undefined) => {
    try {
      const pw = raw ? new URL(raw).password : '';
      if (pw) into.add(decodeURIComponent(pw));
    } catch {
      // not a URL: nothing to take from it
    }
  };
  if (config.http?.token) into.add(config.http.token);
  for (const c of Object.values(config.channels)) {
    if (c.type === 'slack') into.add(c.webhookUrl);
    else urlPassword(c.smtp);
  }
  for (const s of config.services) {
    for (const v of Object.values(s.headers)) {
      into.add(v);
      const credential = /^\S+\s+(\S+)$/.exec(v); // "Bearer xyz" -> also "xyz"
      if (credential) into.add(credential[1]);
    }
    for (const u of [s.pprof, s.expvar, s.metrics]) urlPassword(u);
  }
  return into;
}
