/**
 * checkProfile: every check decodeProfile makes on (uncompressed) profile.proto bytes, without
 * building the model: what a routine capture needs before it stores a body (its sample types and
 * time_nanos). It walks the same fields with the same wire primitives (wire.ts) in the same order
 * (top-level fields, then string indices and ids, then samples, then the remaining string
 * indices), so it refuses exactly what decodeProfile refuses, with the same stage and code
 * (test/unit/profile-check.test.ts compares the two on fixtures and thousands of mutations of
 * them). It allocates a few typed arrays of ids and offsets, no object per record and no string
 * but the sample types' names. Failures are ProfileErrors.
 */
import protobuf from 'protobufjs/minimal.js';
import { malformed, skip, tag, openLen, type Reader } from './wire.js';
import { ProfileError } from './errors.js';
import { FUNCTION, MAPPING, walk, type Walk } from './check-walk.js';
import { IdSet, SampleCheck } from './check-samples.js';

export interface ProfileCheck {
  timeNanos: bigint;
  sampleTypes: string[];
}

function stringIndex(i: number, n: number, where: string): void {
  if (i < 0 || i >= n) malformed(`${where}: string index ${i} out of range (string_table has ${n} entries)`);
}

/** The resolution checks of decode.ts that come before the samples (all `invalid`). */
function resolve(w: Walk, strings: number): void {
  if (strings === 0) malformed('no string_table (not a profile?)');
  if (w.stringLength.data[0] !== 0) malformed("string_table[0] must be ''");
  if (w.sampleTypes.length === 0) malformed('no sample types (not a profile?)');
  for (let i = 0; i < w.sampleTypes.length; i++) stringIndex(w.sampleTypes[i], strings, `sample_type[${i >> 1}].${i & 1 ? 'unit' : 'type'}`);
  for (let i = 0; i < w.sampleTypes.length; i += 2) if (w.stringLength.data[w.sampleTypes[i]] === 0) malformed(`sample_type[${i >> 1}] has no name`);
  for (let i = 0; i < w.early.length; i++) {
    const where = w.earlyWhere.data[i];
    const spec = where & 1 ? FUNCTION : MAPPING;
    const field = (where >> 1) & 15;
    stringIndex(w.early.data[i], strings, `${spec.field}[${Math.floor(where / 32)}].${spec.names[field]}`);
  }
  new IdSet(w.mappingIds, 'mapping');
  const functions = new IdSet(w.functionIds, 'function');
  for (let i = 0; i < w.lineFunctions.length; i++) {
    const fn = w.lineFunctions.data[i];
    if (!functions.has(fn)) malformed(`location ${w.lineOwners.data[i]} has a line with unknown function id ${fn}`);
  }
}

/** The string_table entry `i`, decoded as decode-wire.ts decodes strings. */
function stringAt(r: Reader, w: Walk, i: number): string {
  r.pos = w.stringAt.data[i];
  return r.string();
}

function checkRaw(raw: Uint8Array): ProfileCheck {
  const r = protobuf.Reader.create(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
  const w = walk(r);
  const strings = w.stringAt.length;
  resolve(w, strings);
  const samples = new SampleCheck(r, w.sampleTypes.length / 2, strings, new IdSet(w.locationIds, 'location'));
  r.pos = w.firstSample;
  for (let i = 0; i < w.sampleCount; ) {
    const t = tag(r);
    if (t >>> 3 !== 2) {
      skip(r, t);
      continue;
    }
    const end = openLen(r, t & 7, 'sample');
    samples.check(i++, r.pos, end);
  }
  stringIndex(w.defaultSampleType, strings, 'default_sample_type');
  for (let i = 0; i < w.periodType.length; i++) stringIndex(w.periodType[i], strings, 'period_type');
  for (let i = 0; i < w.comments.length; i++) stringIndex(w.comments[i], strings, `comment[${i}]`);
  stringIndex(w.dropFrames, strings, 'drop_frames');
  stringIndex(w.keepFrames, strings, 'keep_frames');
  const sampleTypes: string[] = [];
  for (let i = 0; i < w.sampleTypes.length; i += 2) sampleTypes.push(stringAt(r, w, w.sampleTypes[i]));
  return { timeNanos: w.timeNanos, sampleTypes };
}

/** Checks uncompressed profile.proto bytes as decodeProfile would; returns what a capture keeps. */
export function checkProfile(raw: Uint8Array): ProfileCheck {
  if (raw.length === 0) throw new ProfileError('parse', 'empty', 'empty input');
  try {
    return checkRaw(raw);
  } catch (err) {
    if (err instanceof ProfileError) throw err;
    throw new ProfileError('parse', 'bad_wire', (err as Error).message, { cause: err });
  }
}
