/**
 * Scrape failures carry a stable `code` (for metrics, logs and tests) and a message a user can
 * act on. Every source of a scrape reports its failures through this one type.
 */
export type ScrapeCode =
  | 'refused'
  | 'timeout'
  | 'http_status'
  | 'too_large'
  | 'bad_gzip'
  | 'bad_profile'
  | 'bad_format'
  | 'no_go_metrics'
  | 'invalid_value'
  | 'dns'
  /** leakwatch itself had no room to start the request or the decode: never the target's fault. */
  | 'overloaded'
  | 'other';

export const SCRAPE_CODES: readonly ScrapeCode[] = [
  'refused', 'timeout', 'http_status', 'too_large', 'bad_gzip', 'bad_profile', 'bad_format',
  'no_go_metrics', 'invalid_value', 'dns', 'overloaded', 'other',
];

export class ScrapeError extends Error {
  override readonly name = 'ScrapeError';

  constructor(
    readonly code: ScrapeCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Wraps anything thrown during a scrape; unknown errors become code 'other'. */
export function toScrapeError(e: unknown): ScrapeError {
  if (e instanceof ScrapeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ScrapeError('other', message, { cause: e });
}

/** Prefixes the message with where it happened, keeping the code. */
export function withContext(e: unknown, context: string): ScrapeError {
  const se = toScrapeError(e);
  if (se.message.startsWith(`${context}:`)) return se;
  return new ScrapeError(se.code, `${context}: ${se.message}`, { cause: se.cause ?? e });
}
