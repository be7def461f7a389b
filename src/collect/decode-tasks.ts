/**
 * The work the decode pool does, as pure functions of plain data: the same code runs in the
 * worker thread (decode-worker.ts) and inline when no worker can be started. Every failure is a
 * ScrapeError naming what was wrong with the target's data.
 */
import type { ProfileKind, Sample } from '../model/sample.js';
import type { Profile } from '../profile/model.js';
import { decodeProfile } from '../profile/decode.js';
import { GzipTooLarge } from '../profile/gzip.js';
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
  if (task.type === 'profile') {
    const p = decodeChecked(task.data, task.kind, task.maxDecompressed);
    return { type: 'profile', summary: { timeNanos: p.timeNanos, sampleTypes: p.sampleTypes.map((t) => t.type) } };
  }
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

/** Decodes a fetched body; every failure becomes a ScrapeError naming what was wrong. Pure. */
export function decodeChecked(data: Uint8Array, kind: ProfileKind, maxDecompressed: number): Profile {
  let profile: Profile;
  try {
    profile = decodeProfile(data, { maxDecompressed });
  } catch (e) {
    if (e instanceof GzipTooLarge) throw gzipTooLarge(e);
    if (e instanceof ProfileError) throw new ScrapeError(SCRAPE_CODE_OF[e.code], e.message, { cause: e });
    throw new ScrapeError('bad_profile', `parsing profile: ${(e as Error).message}`, { cause: e });
  }
  const types = profile.sampleTypes.map((t) => t.type);
  if (!types.includes(REQUIRED_SAMPLE_TYPE[kind])) {
    throw new ScrapeError('bad_profile', `expected a ${kind} profile (sample type ${REQUIRED_SAMPLE_TYPE[kind]}), got sample types [${types.join(', ')}]`);
  }
  return profile;
}
