/**
 * Profile failures name their stage the way google/pprof does ("decompressing profile: …",
 * "parsing profile: …", "malformed profile: …") and carry a stable code from the one table
 * (model/errors.ts), so callers classify them by `stage` and `code`, never by their text.
 */
import type { ProfileCode } from '../model/errors.js';

export const PROFILE_STAGES = {
  decompress: 'decompressing profile',
  parse: 'parsing profile',
  resolve: 'malformed profile',
  merge: 'merging profiles',
  select: 'selecting sample type',
} as const;

export type ProfileStage = keyof typeof PROFILE_STAGES;

export class ProfileError extends Error {
  override readonly name: string = 'ProfileError';

  constructor(
    readonly stage: ProfileStage,
    readonly code: ProfileCode,
    /** What was wrong, without the stage: the message is `<stage text>: <detail>`. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${PROFILE_STAGES[stage]}: ${detail}`, options);
  }
}
