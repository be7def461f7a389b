/**
 * captureProfiles: fetch heap/goroutine/allocs profiles (gzip'd profile.proto) and decode them
 * before anyone stores them, so garbage, bombs and wrong endpoints are rejected at the door.
 */
import type { ProfileKind } from '../model/sample.js';
import type { Profile } from '../profile/model.js';
import { decodeProfile } from '../profile/decode.js';
import { ungzipCapped } from '../profile/gzip.js';
import { ScrapeError, withContext } from './errors.js';
import { fetchBody } from './http.js';
import { formatBytes } from './snippet.js';
import { pprofUrl, type ScrapeTarget } from './target.js';

export interface CapturedProfile {
  kind: ProfileKind;
  /** The body exactly as received (gzip'd profile.proto), what `go tool pprof` opens. */
  data: Buffer;
  profile: Profile;
}

export interface ProfileFailure {
  source: 'pprof';
  kind: ProfileKind;
  code: string;
  reason: string;
}

export interface CaptureOptions {
  signal?: AbortSignal;
  /** Cap on a decompressed profile. Default: 4 × maxBodySize. */
  maxDecompressed?: number;
}

/** The sample type each kind must carry: a proto from the wrong endpoint is not stored as this kind. */
const REQUIRED_SAMPLE_TYPE: Record<ProfileKind, string> = {
  heap: 'inuse_space',
  allocs: 'alloc_space',
  goroutine: 'goroutine',
};

export async function captureProfiles(
  svc: ScrapeTarget,
  kinds: ProfileKind[],
  opts: CaptureOptions = {},
): Promise<{ profiles: CapturedProfile[]; failures: ProfileFailure[] }> {
  const profiles: CapturedProfile[] = [];
  const failures: ProfileFailure[] = [];
  const base = svc.pprof;
  await Promise.all(
    kinds.map(async (kind) => {
      try {
        if (!base) throw new ScrapeError('other', 'no pprof URL configured for this service');
        const data = await fetchBody(pprofUrl(base, kind), {
          headers: svc.headers,
          timeoutMs: svc.timeout,
          maxBytes: svc.maxBodySize,
          signal: opts.signal,
          expect: 'proto',
        });
        const profile = decodeChecked(data, kind, opts.maxDecompressed ?? 4 * svc.maxBodySize);
        profiles.push({ kind, data, profile });
      } catch (e) {
        const err = withContext(e, `${kind} profile`);
        failures.push({ source: 'pprof', kind, code: err.code, reason: err.message });
      }
    }),
  );
  profiles.sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind));
  return { profiles, failures };
}

/** Decodes a fetched body; every failure becomes a ScrapeError naming what was wrong. Pure. */
export function decodeChecked(data: Uint8Array, kind: ProfileKind, maxDecompressed: number): Profile {
  let raw: Uint8Array;
  try {
    raw = ungzipCapped(data, maxDecompressed);
  } catch (e) {
    const message = (e as Error).message;
    // decompressing profile: output exceeds the limit … (gzip bomb?)
    if (/exceeds/.test(message)) {
      throw new ScrapeError('too_large', `decompressed profile is over the ${formatBytes(maxDecompressed)} cap (gzip bomb?)`, { cause: e });
    }
    throw new ScrapeError('bad_gzip', message, { cause: e });
  }
  let profile: Profile;
  try {
    profile = decodeProfile(raw, { maxDecompressed });
  } catch (e) {
    throw new ScrapeError('bad_profile', (e as Error).message, { cause: e });
  }
  const types = profile.sampleTypes.map((t) => t.type);
  if (!types.includes(REQUIRED_SAMPLE_TYPE[kind])) {
    throw new ScrapeError('bad_profile', `expected a ${kind} profile (sample type ${REQUIRED_SAMPLE_TYPE[kind]}), got sample types [${types.join(', ')}]`);
  }
  return profile;
}
