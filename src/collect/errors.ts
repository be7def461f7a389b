/**
 * Scrape failures carry a stable `code` (for metrics, logs and tests) and a message a user can
 * act on. Every source of a scrape reports its failures through this one type.
 */
import { ERROR_CODES, type ScrapeCode } from '../model/errors.js';

/** Every scrape code, in the order of the table (model/errors.ts). */
export const SCRAPE_CODES = Object.keys(ERROR_CODES.scrape) as readonly ScrapeCode[];

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
