/**
 * Scrape failures carry a stable `code` (for metrics, logs and tests) and a message a user can
 * act on. Every source of a scrape reports its failures through this one type.
 */
import { ERROR_CODES, type ScrapeCode } from '../model/errors.js';

/** Every scrape code, in the order of the table (model/errors.ts). */
export const SCRAPE_CODES = Object.keys(ERROR_CODES.scrape) as readonly ScrapeCode[];

export class ScrapeError extends Error {
  override readonly name = 'ScrapeError';
  /** Where it happened ("expvar", "heap profile"), named once at the start of the message. */
  readonly stage?: string;
  /** What went wrong, without the stage. */
  readonly detail: string;

  constructor(
    readonly code: ScrapeCode,
    detail: string,
    options: { cause?: unknown; stage?: string } = {},
  ) {
    super(options.stage ? `${options.stage}: ${detail}` : detail, 'cause' in options ? { cause: options.cause } : undefined);
    this.detail = detail;
    if (options.stage) this.stage = options.stage;
  }
}

/** Wraps anything thrown during a scrape; unknown errors become code 'other'. */
export function toScrapeError(e: unknown): ScrapeError {
  if (e instanceof ScrapeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ScrapeError('other', message, { cause: e });
}

/** Names where it happened, once: an error that already names its stage keeps it (and its code). */
export function withContext(e: unknown, stage: string): ScrapeError {
  const se = toScrapeError(e);
  if (se.stage !== undefined) return se;
  return new ScrapeError(se.code, se.message, { cause: se.cause ?? e, stage });
}
