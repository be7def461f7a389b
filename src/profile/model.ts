/**
 * The resolved pprof profile model: strings and object references, no wire indices
 * (google/pprof `profile.Profile`). Produced by decode.ts, consumed by diff/top/encode.
 */
export interface ValueType {
  type: string;
  unit: string;
}

export interface ProfileFunction {
  id: number;
  name: string;
  systemName: string;
  filename: string;
  startLine: number;
}

export interface Mapping {
  id: number;
  start: number;
  limit: number;
  offset: number;
  file: string;
  buildId: string;
  hasFunctions: boolean;
}

export interface Line {
  function: ProfileFunction;
  line: number;
}

export interface Location {
  id: number;
  mapping: Mapping | null;
  address: number;
  /** line[0] is the innermost inlined callee, line[last] the physical (outer) function. */
  lines: Line[];
  isFolded: boolean;
}

export interface Label {
  key: string;
  /** String value, or undefined for a numeric label. */
  str?: string;
  num?: number;
  numUnit?: string;
}

export interface ProfileSample {
  /**
   * Leaf first, as in profile.proto. The decoder shares one array between samples with the same
   * stack (and one frozen `labels` array between samples with the same labels): treat both as
   * read-only.
   */
  locations: Location[];
  /** One value per sample type. */
  values: number[];
  labels: Label[];
}

export interface Profile {
  sampleTypes: ValueType[];
  /** Name of the default sample type, "" when unset (tools then use the last type). */
  defaultSampleType: string;
  periodType: ValueType | null;
  period: number;
  /** Collection time in ns since the epoch (exceeds 2^53, hence bigint). */
  timeNanos: bigint;
  durationNanos: number;
  comments: string[];
  dropFrames: string;
  keepFrames: string;
  mappings: Mapping[];
  locations: Location[];
  functions: ProfileFunction[];
  samples: ProfileSample[];
}
