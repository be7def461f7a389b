/**
 * Diffs as pprof builds them (internal/driver fetchProfiles, profile CompatibilizeSampleTypes):
 * the base scaled by -1, labelled pprof::base=true, merged into the new profile. Pure.
 */
import { mergeSources } from './merge.js';
import type { Profile, ProfileSample, ValueType } from './model.js';
import { ProfileError } from './errors.js';

export const BASE_LABEL = 'pprof::base';

/**
 * profile.CompatibilizeSampleTypes (pprof >= Nov 2022): keep only the sample types common to all
 * profiles, in the first profile's order. Profiles that already agree are returned as they are.
 */
export function compatibilize(profiles: Profile[]): Profile[] {
  const key = (t: ValueType): string => `${t.type}\0${t.unit}`;
  const common = profiles[0].sampleTypes.filter((t) => profiles.every((p) => p.sampleTypes.some((u) => key(u) === key(t))));
  if (common.length === 0) throw new ProfileError('merge', 'incompatible', 'profiles have empty common sample type list');
  return profiles.map((p) => {
    if (p.sampleTypes.length === common.length && p.sampleTypes.every((t, i) => key(t) === key(common[i]))) return p;
    const pick = common.map((t) => p.sampleTypes.findIndex((u) => key(u) === key(t)));
    const samples = p.samples.map((s) => ({ ...s, values: pick.map((i) => s.values[i]) }));
    return { ...p, sampleTypes: common.map((t) => ({ ...t })), samples };
  });
}

export function isDiffBaseSample(s: Pick<ProfileSample, 'labels'>): boolean {
  for (const l of s.labels) if (l.key === BASE_LABEL && l.str === 'true') return true;
  return false;
}

/**
 * The profile `go tool pprof -diff_base BASE NEXT` analyses: NEXT plus BASE scaled by -1 and
 * labelled pprof::base=true. Written out (encodeProfile), `go tool pprof -top` of it prints the
 * same rows and total as the -diff_base command line.
 */
export function diffProfile(base: Profile, next: Profile): Profile {
  const [n, b] = compatibilize([next, base]);
  return mergeSources([{ profile: n }, { profile: b, ratio: -1, label: { key: BASE_LABEL, value: 'true' } }]);
}
