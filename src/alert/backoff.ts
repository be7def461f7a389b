/**
 * When a failed delivery is tried again, and when it is given up: pure, so the outbox worker
 * (outbox.ts) only applies the decision to its row.
 */
import type { DeliveryError } from './types.js';

export interface BackoffPolicy {
  /** First retry delay; doubles per attempt. */
  baseMs: number;
  /** Longest delay between two attempts. */
  capMs: number;
  /** Attempts (the first send included) before a delivery is marked failed. */
  maxAttempts: number;
  /** Age after which a delivery is marked failed: a day-old leak alert is noise. */
  maxAgeMs: number;
  /** Upper bound on a receiver's Retry-After. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 30_000,
  capMs: 30 * 60_000,
  maxAttempts: 12,
  maxAgeMs: 24 * 3_600_000,
  maxRetryAfterMs: 3_600_000,
};

/**
 * Delay before attempt `attempts + 1`: exponential with "equal jitter" (half fixed, half
 * random), so many deliveries failing together do not retry in lockstep, yet none retries
 * sooner than half its step. A receiver's Retry-After wins when given.
 */
export function retryDelay(attempts: number, policy: BackoffPolicy, random: () => number = Math.random, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.max(1, Math.min(retryAfterMs, policy.maxRetryAfterMs));
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.max(1, Math.round(step / 2 + random() * (step / 2)));
}

/** What to do with a row whose send just failed. */
export type AfterFailure =
  | { kind: 'retry'; at: number; delayMs: number }
  | { kind: 'permanent'; error: string }
  | { kind: 'gave-up'; error: string };

export function afterFailure(
  row: { attempts: number; createdAt: number },
  err: DeliveryError,
  now: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): AfterFailure {
  if (!err.retryable) return { kind: 'permanent', error: err.message };
  const delayMs = retryDelay(row.attempts, policy, random, err.retryAfterMs);
  if (row.attempts >= policy.maxAttempts || now + delayMs - row.createdAt > policy.maxAgeMs) {
    const why = row.attempts >= policy.maxAttempts ? `${row.attempts} attempts` : `${Math.round((now - row.createdAt) / 60_000)} min`;
    return { kind: 'gave-up', error: `gave up after ${why}: ${err.message}` };
  }
  return { kind: 'retry', at: now + delayMs, delayMs };
}
