/**
 * The work the decode pool does, as pure functions of plain data: the same code runs in the
 * worker thread (decode-worker.ts) and inline when no worker can be started. Every failure is a
 * ScrapeError naming what was wrong with the target's data.
 */
import type { ProfileKind, Sample } from '../model/sample.js';
import type { Profile } from '../profile/model.js';
import { checkProfile } from '../profile/check.js';
import { decodeProfile } from '../profile/decode.js';
import { GzipTooLarge, ungzipCapped, WATCH_SLACK } from '../profile/gzip.js';
import { ProfileError } from '../profile/errors.js';
import type { ProfileCode, ScrapeCode } from '../model/errors.js';
import { ScrapeError } from './errors.js';
import { parseExpvar } from './expvar.js';
import { parsePrometheus } from './prometheus.js';
import { formatBytes } from '../format/units.js';
import type { InvalidValue, ParseOptions } from './validate.js';

export type DecodeTask =
  | { type: 'profile'; data: Uint8Array; kind: ProfileKind; maxDecompressed: number }
  | { type: 'expvar' | 'metrics'; body: Uint8Array; now?: number };

/** What a checked profile tells the caller without shipping the whole model back across threads. */
export interface ProfileSummary {
  timeNanos: bigint;
  sampleTypes: string[];
}

export type DecodeResult = { type: 'profile'; summary: ProfileSummary } | { type: 'sample'; part: Partial<Sample>; invalid: InvalidValue[] };

export function runDecodeTask(task: DecodeTask): DecodeResult {
  if (task.type === 'profile') return { type: 'profile', summary: checkCaptured(task.data, task.kind, task.maxDecompressed) };
  const text = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength).toString('utf8');
  // Validated where parsed (validate.ts): the dropped values travel back with the part.
  const o: ParseOptions = { now: task.now, invalid: [] };
  const part = task.type === 'expvar' ? parseExpvar(text, o) : parsePrometheus(text, o);
  return { type: 'sample', part, invalid: o.invalid! };
}

/** The sample type each kind must carry: a proto from the wrong endpoint is not stored as this kind. */
const REQUIRED_SAMPLE_TYPE: Record<ProfileKind, string> = {
  heap: 'inuse_space',
  allocs: 'alloc_space',
  goroutine: 'goroutine',
};

/** The reason a user reads for a profile refused by a decompression cap. */
export function gzipTooLarge(e: GzipTooLarge): ScrapeError {
  const why = e.limit !== undefined
    ? `decompressed profile is over the ${formatBytes(e.limit)} cap (gzip bomb?)`
    : `gzip bomb: ${formatBytes(e.input)} of gzip inflated to over ${formatBytes(e.output)} (refused past ${Math.round(e.output / Math.max(1, e.input))}:1)`;
  return new ScrapeError('too_large', why, { cause: e });
}

/** How a profile failure counts as a scrape failure: by its code, never its text. */
const SCRAPE_CODE_OF: Record<ProfileCode, ScrapeCode> = {
  too_large: 'too_large',
  bad_gzip: 'bad_gzip',
  empty: 'bad_profile',
  bad_wire: 'bad_profile',
  invalid: 'bad_profile',
  incompatible: 'bad_profile',
  no_sample_type: 'bad_profile',
};

/** A failure decoding or checking a profile, as the ScrapeError a user reads. */
function profileFailure(e: unknown): ScrapeError {
  if (e instanceof GzipTooLarge) return gzipTooLarge(e);
  if (e instanceof ProfileError) return new ScrapeError(SCRAPE_CODE_OF[e.code], e.message, { cause: e });
  return new ScrapeError('bad_profile', `parsing profile: ${(e as Error).message}`, { cause: e });
}

/** A proto from the wrong endpoint is refused: it must carry the kind's sample type. */
function requireKind(types: string[], kind: ProfileKind): void {
  if (!types.includes(REQUIRED_SAMPLE_TYPE[kind])) {
    throw new ScrapeError('bad_profile', `expected a ${kind} profile (sample type ${REQUIRED_SAMPLE_TYPE[kind]}), got sample types [${types.join(', ')}]`);
  }
}

/** Decodes a fetched body; every failure becomes a ScrapeError naming what was wrong. Pure. */
export function decodeChecked(data: Uint8Array, kind: ProfileKind, maxDecompressed: number): Profile {
  let profile: Profile;
  try {
    profile = decodeProfile(data, { maxDecompressed });
  } catch (e) {
    throw profileFailure(e);
  }
  requireKind(profile.sampleTypes.map((t) => t.type), kind);
  return profile;
}

/**
 * What a routine capture needs from a fetched body: decompressed under the cap and every check
 * decodeChecked makes (profile/check.ts), without building the model. Same failures. Pure.
 */
export function checkCaptured(data: Uint8Array, kind: ProfileKind, maxDecompressed: number): ProfileSummary {
  let summary: ProfileSummary;
  try {
    summary = checkProfile(ungzipCapped(data, maxDecompressed));
  } catch (e) {
    throw profileFailure(e);
  }
  requireKind(summary.sampleTypes, kind);
  return summary;
}

/** Profile bodies up to this (as received) are checked on the event loop, no worker... */
export const INLINE_PROFILE_MAX = 256 << 10;
/** ...as long as they inflate to at most this (real profiles inflate 1.5–6×); bigger ones go to a worker. */
export const INLINE_RAW_MAX = 2 << 20;

/**
 * checkCaptured on the event loop for a small body (a few milliseconds at most), or undefined
 * when the body is too big for that (over INLINE_PROFILE_MAX, or inflating past INLINE_RAW_MAX):
 * the caller hands it to a decode worker instead. Pure.
 */
export function checkInline(data: Uint8Array, kind: ProfileKind, maxDecompressed: number): ProfileSummary | undefined {
  if (data.length > INLINE_PROFILE_MAX) return undefined;
  const cap = Math.min(maxDecompressed, INLINE_RAW_MAX);
  let raw: Uint8Array;
  try {
    // The download watch's ratio rule (it only watches bodies past 32 KiB: profiles.ts).
    raw = ungzipCapped(data, cap, WATCH_SLACK);
  } catch (e) {
    if (e instanceof GzipTooLarge && e.limit === cap && cap < maxDecompressed) return undefined;
    throw profileFailure(e);
  }
  let summary: ProfileSummary;
  try {
    summary = checkProfile(raw);
  } catch (e) {
    throw profileFailure(e);
  }
  requireKind(summary.sampleTypes, kind);
  return summary;
}
