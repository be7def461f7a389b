/**
 * captureProfiles: fetch heap/goroutine/allocs profiles (gzip'd profile.proto) and decode them
 * before anyone stores them, so garbage, bombs and wrong endpoints are rejected at the door.
 */
import type { ProfileKind } from '../model/sample.js';
import type { Profile } from '../profile/model.js';
import { decodeProfile } from '../profile/decode.js';
import { GzipTooLarge, GzipWatch } from '../profile/gzip.js';
import { checkInline, gzipTooLarge } from './decode-tasks.js';
import { ScrapeError, withContext } from './errors.js';
import { fetchInPool, sharedPools, type CollectPools } from './pools.js';
import { pprofUrl, type ScrapeTarget } from './target.js';

export { decodeChecked } from './decode-tasks.js';

export interface CapturedProfile {
  kind: ProfileKind;
  /** The body exactly as received (gzip'd profile.proto), what `go tool pprof` opens. */
  data: Buffer;
  /** Profile.time_nanos, from the capture's check. */
  timeNanos: bigint;
  /**
   * The decoded model. The capture itself only checked the profile (inline when small, else on a
   * decode worker, without building the model); the model is decoded here, on first access (an
   * incident's diff).
   */
  readonly profile: Profile;
}

export interface ProfileFailure {
  source: 'pprof';
  kind: ProfileKind;
  code: string;
  reason: string;
}

/**
 * A profile body is watched for a gzip bomb once it passes this many bytes: most profiles are
 * smaller, and a round of captures then allocates no inflate state for them while they download.
 */
export const WATCH_FROM = 32 << 10;

export interface CaptureOptions {
  signal?: AbortSignal;
  /** Cap on a decompressed profile. Default: 4 × maxBodySize. */
  maxDecompressed?: number;
  /** Fetch and decode pools shared with other services. Default: sharedPools(). */
  pools?: CollectPools;
}

export async function captureProfiles(
  svc: ScrapeTarget,
  kinds: ProfileKind[],
  opts: CaptureOptions = {},
): Promise<{ profiles: CapturedProfile[]; failures: ProfileFailure[] }> {
  const profiles: CapturedProfile[] = [];
  const failures: ProfileFailure[] = [];
  const base = svc.pprof;
  const pools = opts.pools ?? sharedPools();
  const maxDecompressed = opts.maxDecompressed ?? 4 * svc.maxBodySize;
  await Promise.all(
    kinds.map(async (kind) => {
      try {
        if (!base) throw new ScrapeError('other', 'no pprof URL configured for this service');
        // A bomb is refused a few KiB past WATCH_FROM into its download (GzipWatch), before it
        // is buffered; a smaller body is left to its check (inline under a 2 MiB cap, else a worker).
        const watch = new GzipWatch(undefined, undefined, WATCH_FROM);
        const data = await fetchInPool(pools, svc.name, pprofUrl(base, kind), {
          headers: svc.headers,
          timeoutMs: svc.timeout,
          maxBytes: svc.maxBodySize,
          signal: opts.signal,
          expect: 'proto',
          inspect: (chunk) => {
            try {
              watch.push(chunk);
            } catch (e) {
              throw e instanceof GzipTooLarge ? gzipTooLarge(e) : e;
            }
          },
        });
        // A small body is checked here, without building its model (no worker started for a
        // round of them); a big one on a decode worker, where captures may wait for a worker up
        // to a decode's own budget (they are off the sample schedule).
        let summary = checkInline(data, kind, maxDecompressed);
        if (!summary) {
          const r = await pools.decode.run(svc.name, { type: 'profile', data, kind, maxDecompressed }, pools.decode.budgetMs);
          if (r.type !== 'profile') throw new Error('decode pool: expected a profile');
          summary = r.summary;
        }
        profiles.push(lazyProfile(kind, data, summary.timeNanos, maxDecompressed));
      } catch (e) {
        const err = withContext(e, `${kind} profile`);
        failures.push({ source: 'pprof', kind, code: err.code, reason: err.message });
      }
    }),
  );
  profiles.sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind));
  return { profiles, failures };
}

function lazyProfile(kind: ProfileKind, data: Buffer, timeNanos: bigint, maxDecompressed: number): CapturedProfile {
  let decoded: Profile | undefined;
  return {
    kind,
    data,
    timeNanos,
    get profile(): Profile {
      decoded ??= decodeProfile(data, { maxDecompressed });
      return decoded;
    },
  };
}
