/**
 * Zod field types for config values: each parses one kind of value and, when it cannot, reports
 * `expected …` (the loader adds the path and what it got). Helpers that other stages need
 * (parseListen, isLoopbackHost) live here too.
 */
import * as z from 'zod';
import { validateDetailed } from 'node-cron';
import { DURATION_HINT, parseDuration, parseRate, parseSize, RATE_HINT, SIZE_HINT, type Rate } from '../format/units.js';

function custom<T>(expected: string, parse: (v: unknown) => T | undefined) {
  return z.unknown().transform((v, ctx): T => {
    // Optional fields never get here with undefined; a required one does when it is missing.
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is required' });
      return z.NEVER;
    }
    const out = parse(v);
    if (out === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}`, input: v });
      return z.NEVER;
    }
    return out;
  });
}

function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Milliseconds; `positive` rejects 0. */
export function duration(opts: { positive?: boolean } = {}) {
  const hint = opts.positive ? `a positive duration like "15s" or "5m"` : DURATION_HINT;
  return custom(hint, (v) => {
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    const ms = attempt(() => parseDuration(v));
    return ms === undefined || (opts.positive && ms <= 0) ? undefined : ms;
  });
}

/** Bytes, > 0. */
export function size() {
  return custom(SIZE_HINT, (v) => {
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    const bytes = attempt(() => parseSize(v));
    return bytes === undefined || bytes <= 0 ? undefined : bytes;
  });
}

/** Digit strings count as numbers: that is how they arrive from `${ENV}`. */
function asWholeNumber(v: unknown, min: number): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min ? n : undefined;
}

export function wholeNumber(min: number) {
  return custom(`a whole number >= ${min}`, (v) => asWholeNumber(v, min));
}

/** `off` disables an inherited value: it parses to null and the merge drops the key. */
function orOff<T>(expected: string, parse: (v: unknown) => T | undefined) {
  return custom<T | null>(expected, (v) => (v === 'off' || v === false ? null : parse(v)));
}

/** A growth threshold for a memory metric: bytes or percent per time. */
export function memoryRate() {
  return orOff<Rate>(RATE_HINT, (v) => {
    const r = typeof v === 'string' ? attempt(() => parseRate(v)) : undefined;
    return r && r.unit !== 'count' && r.value > 0 ? r : undefined;
  });
}

/** A growth threshold for a count (goroutines): count or percent per time. */
export function countRate() {
  return orOff<Rate>('a rate like "100/h"', (v) => {
    const r = typeof v === 'string' ? attempt(() => parseRate(v)) : undefined;
    return r && r.unit !== 'bytes' && r.value > 0 ? r : undefined;
  });
}

export function sizeLimit() {
  return orOff<number>(SIZE_HINT, (v) =>
    typeof v === 'string' || typeof v === 'number' ? attempt(() => parseSize(v)) || undefined : undefined,
  );
}

export function countLimit() {
  return orOff<number>('a whole number >= 1', (v) => asWholeNumber(v, 1));
}

/** A node-cron expression; five fields, or six with seconds first. */
export function cron() {
  return z.string().superRefine((v, ctx) => {
    const result = validateDetailed(v);
    if (result.valid) return;
    const first = result.errors[0];
    const why =
      first === undefined ? 'invalid'
      : first.field === 'expression' ? `needs 5 or 6 fields, found ${v.trim().split(/\s+/).length}`
      : `bad ${first.field} field ${JSON.stringify(first.value ?? '')}`;
    ctx.addIssue({ code: 'custom', message: `expected a cron expression like "*/15 * * * * *" (${why})`, input: v });
  });
}

function parsedUrl(v: unknown, protocols: readonly string[]): string | undefined {
  if (typeof v !== 'string') return undefined;
  const url = attempt(() => new URL(v));
  return url && protocols.includes(url.protocol) && url.hostname !== '' ? v : undefined;
}

export function httpUrl() {
  return custom('an http:// or https:// URL', (v) => parsedUrl(v, ['http:', 'https:']));
}

/** The pprof base URL, without a trailing slash so collectors can append `/heap`. */
export function pprofUrl() {
  return httpUrl().transform((u) => u.replace(/\/+$/, ''));
}

export function smtpUrl() {
  return custom('an smtp:// or smtps:// URL', (v) => parsedUrl(v, ['smtp:', 'smtps:']));
}

/** `someone@example.com` or `Someone <someone@example.com>`. */
export function emailAddress() {
  return custom('an email address like "oncall@example.com"', (v) => {
    if (typeof v !== 'string') return undefined;
    const m = /^(?:[^<>]*<([^<>]+)>|([^<>\s]+))$/.exec(v.trim());
    const address = m?.[1] ?? m?.[2];
    return address && /^[^\s@]+@[^\s@]+$/.test(address) ? v.trim() : undefined;
  });
}

/** One address or a list of them; `nonEmpty` for `to`. */
export function addressList(nonEmpty: boolean) {
  return z
    .preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(emailAddress()))
    .superRefine((v, ctx) => {
      if (nonEmpty && v.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one address' });
    });
}

export interface Listen {
  host: string;
  port: number;
}

/** `127.0.0.1:9470`, `[::1]:9470`, `localhost:9470`, `:9470` (all interfaces). */
export function parseListen(s: string): Listen | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function listenAddress() {
  return custom('a host:port like "127.0.0.1:9470"', (v) =>
    typeof v === 'string' && parseListen(v) ? v.trim() : undefined,
  );
}

/** A name used on the command line and in alerts. */
export function identifier(what: string) {
  return custom(`a ${what} name of letters, digits, "-", "_" and "."`, (v) =>
    typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v) ? v : undefined,
  );
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function headers() {
  return z.record(z.string().regex(HEADER_NAME, 'is not a valid HTTP header name'), z.string());
}
