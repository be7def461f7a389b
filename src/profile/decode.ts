/**
 * decodeProfile: gzip'd or plain profile.proto bytes → the resolved Profile model.
 *
 * Stages, each naming itself in its errors like google/pprof does (ProfileError, errors.ts):
 *   "decompressing profile: …"  bounded gunzip (gzip.ts)
 *   "parsing profile: …"        wire format (wire.ts, decode-wire.ts)
 *   "malformed profile: …"      resolution of string indices and ids, then pprof's validity checks
 * Resolution happens only after the whole message is read: Go writes the string table last and
 * functions after the locations that reference them. Samples are decoded last, into columns
 * (decode-samples.ts, columns.ts).
 */
import { withLazySamples } from './columns.js';
import { decodeSamples } from './decode-samples.js';
import { readRawProfile, type RawProfile, type RawValueType } from './decode-wire.js';
import { malformed } from './wire.js';
import { ProfileError } from './errors.js';
import { ungzipCapped } from './gzip.js';
import type { Line, Location, Mapping, Profile, ProfileFunction, ValueType } from './model.js';

export interface DecodeOptions {
  /** Cap on the decompressed size, against gzip bombs. Default 256 MiB. */
  maxDecompressed?: number;
}

export const DEFAULT_MAX_DECOMPRESSED = 256 * 1024 * 1024;

/**
 * Samples are kept column-wise until `samples` is first read (columns.ts). Samples with the same
 * stack share one `locations` array and samples with the same labels one frozen `labels` array:
 * treat both as read-only, as every consumer does.
 */
export function decodeProfile(data: Uint8Array, opts: DecodeOptions = {}): Profile {
  const raw = ungzipCapped(data, opts.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED);
  if (raw.length === 0) throw new ProfileError('parse', 'empty', 'empty input');
  try {
    return resolveProfile(readRawProfile(raw));
  } catch (err) {
    if (err instanceof ProfileError) throw err;
    // Anything else (e.g. a RangeError from the reader) is still a parse failure.
    throw new ProfileError('parse', 'bad_wire', (err as Error).message, { cause: err });
  }
}

/** Id → object index: a dense array for the usual ids 1..n (Go's numbering), a Map otherwise. */
interface IdIndex<T> {
  dense: (T | undefined)[];
  sparse: Map<number, T> | null;
}

function indexById<T extends { id: number }>(items: T[], kind: string): IdIndex<T> {
  let max = 0;
  for (const it of items) {
    if (it.id === 0) malformed(`${kind} with reserved id 0`);
    if (it.id > max) max = it.id;
  }
  if (max <= 2 * items.length + 1024) {
    const dense = new Array<T | undefined>(max + 1).fill(undefined);
    for (const it of items) {
      if (dense[it.id] !== undefined) malformed(`multiple ${kind}s with id ${it.id}`);
      dense[it.id] = it;
    }
    return { dense, sparse: null };
  }
  const sparse = new Map<number, T>();
  for (const it of items) {
    if (sparse.has(it.id)) malformed(`multiple ${kind}s with id ${it.id}`);
    sparse.set(it.id, it);
  }
  return { dense: [], sparse };
}

function lookup<T>(ix: IdIndex<T>, id: number): T | undefined {
  return id < ix.dense.length ? ix.dense[id] : ix.sparse?.get(id);
}

function resolveProfile(p: RawProfile): Profile {
  const strings = p.strings;
  if (strings.length === 0) malformed('no string_table (not a profile?)');
  if (strings[0] !== '') malformed("string_table[0] must be ''");
  const str = (i: number, where: string): string => {
    if (i < 0 || i >= strings.length || !Number.isInteger(i)) {
      malformed(`${where}: string index ${i} out of range (string_table has ${strings.length} entries)`);
    }
    return strings[i];
  };
  const valueType = (v: RawValueType, where: string): ValueType => ({
    type: str(v.type, `${where}.type`),
    unit: str(v.unit, `${where}.unit`),
  });

  // pprof accepts a profile without sample types when it has no samples either; a collector
  // cannot use one, and garbage that happens to parse usually looks exactly like that.
  if (p.sampleTypes.length === 0) malformed('no sample types (not a profile?)');
  const sampleTypes = p.sampleTypes.map((v, i) => valueType(v, `sample_type[${i}]`));
  sampleTypes.forEach((t, i) => t.type === '' && malformed(`sample_type[${i}] has no name`));

  const mappings: Mapping[] = p.mappings.map((m, i) => ({
    id: m.id,
    start: m.start,
    limit: m.limit,
    offset: m.offset,
    file: str(m.file, `mapping[${i}].filename`),
    buildId: str(m.buildId, `mapping[${i}].build_id`),
    hasFunctions: m.hasFunctions,
  }));
  const mappingIndex = indexById(mappings, 'mapping');

  const functions: ProfileFunction[] = p.functions.map((f, i) => ({
    id: f.id,
    name: str(f.name, `function[${i}].name`),
    systemName: str(f.systemName, `function[${i}].system_name`),
    filename: str(f.filename, `function[${i}].filename`),
    startLine: f.startLine,
  }));
  const functionIndex = indexById(functions, 'function');

  const locations: Location[] = p.locations.map((l) => {
    const lines = new Array<Line>(l.lineCount);
    for (let k = 0; k < l.lineCount; k++) {
      const functionId = p.lines[2 * (l.firstLine + k)];
      const fn = lookup(functionIndex, functionId);
      if (!fn) malformed(`location ${l.id} has a line with unknown function id ${functionId}`);
      lines[k] = { function: fn, line: p.lines[2 * (l.firstLine + k) + 1] };
    }
    // Like pprof, an unknown mapping id leaves the location unmapped rather than failing.
    const mapping = l.mappingId === 0 ? null : lookup(mappingIndex, l.mappingId) ?? null;
    return { id: l.id, mapping, address: l.address, lines, isFolded: l.isFolded };
  });
  const columns = decodeSamples(p, { nTypes: sampleTypes.length, strings, ...positionsById(locations) });

  return withLazySamples({
    sampleTypes,
    defaultSampleType: str(p.defaultSampleType, 'default_sample_type'),
    periodType: p.periodType ? valueType(p.periodType, 'period_type') : null,
    period: p.period,
    timeNanos: p.timeNanos,
    durationNanos: p.durationNanos,
    comments: p.comments.map((c, i) => str(c, `comment[${i}]`)),
    dropFrames: str(p.dropFrames, 'drop_frames'),
    keepFrames: str(p.keepFrames, 'keep_frames'),
    mappings,
    locations,
    functions,
  }, columns);
}

/** Location id → 1 + position, densely for Go's ids 1..n; ids checked as by indexById. */
function positionsById(locations: Location[]): { densePositions: Int32Array; sparsePositions: Map<number, number> | null } {
  const index = indexById(locations, 'location');
  if (index.sparse === null) {
    const densePositions = new Int32Array(index.dense.length);
    locations.forEach((l, i) => (densePositions[l.id] = i + 1));
    return { densePositions, sparsePositions: null };
  }
  const sparsePositions = new Map<number, number>();
  locations.forEach((l, i) => sparsePositions.set(l.id, i + 1));
  return { densePositions: new Int32Array(0), sparsePositions };
}
