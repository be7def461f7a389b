/**
 * The part of a sample the detector reads. The daemon keeps a whole trend window of samples per
 * service in memory (6 h at 15 s is 1,440 per service); keeping only these fields, in one fixed
 * shape, makes each about 40% of a full sample.
 */
import type { Sample } from '../model/sample.js';

/** Every Sample field that src/analyze (detector, series, restart detection) reads. */
export const DETECTOR_FIELDS = [
  'heapAlloc', 'nextGC', 'numGC', 'totalAlloc', 'sys', 'rss', 'goroutines',
  'processStart', 'pid', 'gogc', 'gomemlimit', 'restart',
] as const satisfies readonly (keyof Sample)[];

/** A copy of `s` with only the detector's fields (the rest left out, as if never observed). */
export function windowSample(s: Sample): Sample {
  // Written out, not looped over DETECTOR_FIELDS: computed-key stores would make a hash table of it.
  // `satisfies` makes the literal list exactly DETECTOR_FIELDS and t.
  return {
    t: s.t, heapAlloc: s.heapAlloc, nextGC: s.nextGC, numGC: s.numGC, totalAlloc: s.totalAlloc, sys: s.sys,
    rss: s.rss, goroutines: s.goroutines, processStart: s.processStart, pid: s.pid, gogc: s.gogc,
    gomemlimit: s.gomemlimit, restart: s.restart,
  } satisfies Record<(typeof DETECTOR_FIELDS)[number] | 't', unknown>;
}
