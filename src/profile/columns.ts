/**
 * A decoded profile's samples, held column-wise until someone reads `profile.samples`.
 *
 * A big heap profile is nearly all samples, and building an object (plus a values array) per
 * sample made decoding GC-bound. decodeProfile therefore keeps them in typed arrays and gives the
 * profile a `samples` property that builds the usual objects on first read. The diff (top.ts,
 * graph-visits.ts) reads the columns instead and so never builds them: `leakwatch diff` and the
 * daemon's attribution only need each distinct stack once, with its summed value.
 *
 * Columns exist only while `samples` has not been read or assigned: from then on the objects are
 * the truth (a caller may change them), so the columns are dropped.
 */
import type { Label, Location, Profile, ProfileSample } from './model.js';

export interface SampleColumns {
  /** Number of samples. */
  count: number;
  nTypes: number;
  /** Sample k's value for type t is values[k * nTypes + t]. */
  values: Float64Array;
  /** Stack index of each sample; samples with the same location ids share one stack. */
  stackOf: Int32Array;
  stackCount: number;
  /** Stack s is stackLocs[stackStart[s]] .. stackLocs[stackStart[s + 1] - 1]: positions in Profile.locations, leaf first. */
  stackStart: Int32Array;
  stackLocs: Int32Array;
  /** Label set of each sample, an index into labelSets (0: no labels). */
  labelOf: Int32Array;
  /** Frozen, shared label arrays. */
  labelSets: Label[][];
}

const columnsOf = new WeakMap<Profile, SampleColumns>();

/** p's sample columns, or undefined once its samples exist as objects (or it never had columns). */
export function sampleColumns(p: Profile): SampleColumns | undefined {
  return columnsOf.get(p);
}

/**
 * The profile with `samples` built from cols on first read. Samples with the same stack share
 * one `locations` array and samples with the same labels one frozen `labels` array, as before.
 */
export function withLazySamples(header: Omit<Profile, 'samples'>, cols: SampleColumns): Profile {
  const p = header as Profile;
  const settle = (samples: ProfileSample[]): void => {
    columnsOf.delete(p);
    Object.defineProperty(p, 'samples', { value: samples, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(p, 'samples', {
    get(): ProfileSample[] {
      const samples = materialise(cols, p.locations);
      settle(samples);
      return samples;
    },
    set: settle,
    enumerable: true,
    configurable: true,
  });
  columnsOf.set(p, cols);
  return p;
}

function materialise(cols: SampleColumns, locations: Location[]): ProfileSample[] {
  const { count, nTypes, values, stackOf, stackStart, stackLocs, labelOf, labelSets } = cols;
  const stacks = new Array<Location[] | undefined>(cols.stackCount);
  const samples = new Array<ProfileSample>(count);
  for (let k = 0; k < count; k++) {
    const s = stackOf[k];
    let stack = stacks[s];
    if (stack === undefined) {
      const from = stackStart[s];
      stack = new Array<Location>(stackStart[s + 1] - from);
      for (let i = 0; i < stack.length; i++) stack[i] = locations[stackLocs[from + i]];
      stacks[s] = stack;
    }
    const v = new Array<number>(nTypes);
    for (let t = 0; t < nTypes; t++) v[t] = values[k * nTypes + t];
    samples[k] = { locations: stack, values: v, labels: labelSets[labelOf[k]] };
  }
  return samples;
}
