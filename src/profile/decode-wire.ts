/**
 * Wire-level reading of profile.proto into raw records that still hold string indices and ids.
 * Hand-written on protobufjs's low-level Reader (no reflection) because decoding speed matters:
 * the collector decodes every scraped profile. Resolution and validation live in decode.ts.
 *
 * Samples (nearly all of a big profile) are only located in this first pass and decoded into
 * columns by decode-samples.ts (with decode-labels.ts) once locations and strings are known.
 *
 * Primitives live in wire.ts; failures are ProfileErrors of stage `parse`.
 */
import protobuf from 'protobufjs/minimal.js';
import { closeLen, fail, LEN, NumBuffer, openLen, repeated, scalar, skip, tag, varintBig, VARINT, wire, type Reader } from './wire.js';

export interface RawValueType {
  type: number;
  unit: number;
}
export interface RawMapping {
  id: number;
  start: number;
  limit: number;
  offset: number;
  file: number;
  buildId: number;
  hasFunctions: boolean;
}
export interface RawLocation {
  id: number;
  mappingId: number;
  address: number;
  /** This location's lines are lines[firstLine .. firstLine + lineCount) of RawProfile.lines. */
  firstLine: number;
  lineCount: number;
  isFolded: boolean;
}
export interface RawFunction {
  id: number;
  name: number;
  systemName: number;
  filename: number;
  startLine: number;
}
export interface RawProfile {
  sampleTypes: RawValueType[];
  sampleCount: number;
  /** Σ length of the Sample messages, to size the second pass's buffers. */
  sampleBytes: number;
  /** Offset of the first Sample field's tag; the second pass reads samples from there. */
  firstSample: number;
  /** The reader over the input, for the second pass over samples. */
  reader: Reader;
  mappings: RawMapping[];
  locations: RawLocation[];
  /** Every location's lines, flat: (function_id, line) pairs, so pass one allocates no Line objects. */
  lines: Float64Array;
  functions: RawFunction[];
  strings: string[];
  dropFrames: number;
  keepFrames: number;
  timeNanos: bigint;
  timeNanosSeen: boolean;
  durationNanos: number;
  periodType: RawValueType | null;
  period: number;
  comments: number[];
  defaultSampleType: number;
}

function string(r: Reader, wt: number): string {
  wire(r, wt, LEN, 'string_table');
  const start = r.pos;
  const n = r.size();
  if (r.pos + n > r.len) fail(r, 'string_table entry overruns the input');
  r.pos = start;
  return r.string();
}

function valueType(r: Reader, wt: number, field: string): RawValueType {
  const end = openLen(r, wt, field);
  const v: RawValueType = { type: 0, unit: 0 };
  while (r.pos < end) {
    const t = tag(r);
    if (t >>> 3 === 1) v.type = scalar(r, t & 7, true, `${field}.type`);
    else if (t >>> 3 === 2) v.unit = scalar(r, t & 7, true, `${field}.unit`);
    else skip(r, t);
  }
  closeLen(r, end, field);
  return v;
}

function mapping(r: Reader, wt: number): RawMapping {
  const end = openLen(r, wt, 'mapping');
  const m: RawMapping = { id: 0, start: 0, limit: 0, offset: 0, file: 0, buildId: 0, hasFunctions: false };
  while (r.pos < end) {
    const t = tag(r);
    const wt2 = t & 7;
    switch (t >>> 3) {
      case 1: m.id = scalar(r, wt2, false, 'mapping.id'); break;
      case 2: m.start = scalar(r, wt2, false, 'mapping.memory_start'); break;
      case 3: m.limit = scalar(r, wt2, false, 'mapping.memory_limit'); break;
      case 4: m.offset = scalar(r, wt2, false, 'mapping.file_offset'); break;
      case 5: m.file = scalar(r, wt2, true, 'mapping.filename'); break;
      case 6: m.buildId = scalar(r, wt2, true, 'mapping.build_id'); break;
      case 7: m.hasFunctions = scalar(r, wt2, false, 'mapping.has_functions') !== 0; break;
      default: skip(r, t);
    }
  }
  closeLen(r, end, 'mapping');
  return m;
}

function line(r: Reader, wt: number, out: NumBuffer): void {
  const end = openLen(r, wt, 'location.line');
  let functionId = 0;
  let ln = 0;
  while (r.pos < end) {
    const t = tag(r);
    if (t >>> 3 === 1) functionId = scalar(r, t & 7, false, 'line.function_id');
    else if (t >>> 3 === 2) ln = scalar(r, t & 7, true, 'line.line');
    else skip(r, t);
  }
  closeLen(r, end, 'location.line');
  out.push(functionId);
  out.push(ln);
}

function location(r: Reader, wt: number, lines: NumBuffer): RawLocation {
  const end = openLen(r, wt, 'location');
  const l: RawLocation = { id: 0, mappingId: 0, address: 0, firstLine: lines.length / 2, lineCount: 0, isFolded: false };
  while (r.pos < end) {
    const t = tag(r);
    const wt2 = t & 7;
    switch (t >>> 3) {
      case 1: l.id = scalar(r, wt2, false, 'location.id'); break;
      case 2: l.mappingId = scalar(r, wt2, false, 'location.mapping_id'); break;
      case 3: l.address = scalar(r, wt2, false, 'location.address'); break;
      case 4:
        line(r, wt2, lines);
        l.lineCount++;
        break;
      case 5: l.isFolded = scalar(r, wt2, false, 'location.is_folded') !== 0; break;
      default: skip(r, t);
    }
  }
  closeLen(r, end, 'location');
  return l;
}

function func(r: Reader, wt: number): RawFunction {
  const end = openLen(r, wt, 'function');
  const fn: RawFunction = { id: 0, name: 0, systemName: 0, filename: 0, startLine: 0 };
  while (r.pos < end) {
    const t = tag(r);
    const wt2 = t & 7;
    switch (t >>> 3) {
      case 1: fn.id = scalar(r, wt2, false, 'function.id'); break;
      case 2: fn.name = scalar(r, wt2, true, 'function.name'); break;
      case 3: fn.systemName = scalar(r, wt2, true, 'function.system_name'); break;
      case 4: fn.filename = scalar(r, wt2, true, 'function.filename'); break;
      case 5: fn.startLine = scalar(r, wt2, true, 'function.start_line'); break;
      default: skip(r, t);
    }
  }
  closeLen(r, end, 'function');
  return fn;
}

/** Reads every field of an (uncompressed) Profile message; fields may come in any order. */
export function readRawProfile(data: Uint8Array): RawProfile {
  const r = protobuf.Reader.create(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const lines = new NumBuffer();
  // One literal with every field, so each decode's RawProfile has the same shape (no deopts).
  const p: RawProfile = {
    sampleTypes: [], sampleCount: 0, sampleBytes: 0, firstSample: 0, reader: r,
    mappings: [], locations: [], lines: lines.data, functions: [], strings: [],
    dropFrames: 0, keepFrames: 0, timeNanos: 0n, timeNanosSeen: false, durationNanos: 0,
    periodType: null, period: 0, comments: [], defaultSampleType: 0,
  };
  while (r.pos < r.len) {
    const at = r.pos;
    const t = tag(r);
    const wt = t & 7;
    switch (t >>> 3) {
      case 1: p.sampleTypes.push(valueType(r, wt, 'sample_type')); break;
      case 2: {
        const end = openLen(r, wt, 'sample');
        if (p.sampleCount++ === 0) p.firstSample = at;
        p.sampleBytes += end - r.pos;
        r.pos = end;
        break;
      }
      case 3: p.mappings.push(mapping(r, wt)); break;
      case 4: p.locations.push(location(r, wt, lines)); break;
      case 5: p.functions.push(func(r, wt)); break;
      case 6: p.strings.push(string(r, wt)); break;
      case 7: p.dropFrames = scalar(r, wt, true, 'drop_frames'); break;
      case 8: p.keepFrames = scalar(r, wt, true, 'keep_frames'); break;
      case 9:
        // pprof reads a second time_nanos as two profiles concatenated (errConcatProfile).
        if (p.timeNanosSeen) fail(r, 'concatenated profiles detected (time_nanos twice)');
        wire(r, wt, VARINT, 'time_nanos');
        p.timeNanos = varintBig(r);
        p.timeNanosSeen = true;
        break;
      case 10: p.durationNanos = scalar(r, wt, true, 'duration_nanos'); break;
      case 11: p.periodType = valueType(r, wt, 'period_type'); break;
      case 12: p.period = scalar(r, wt, true, 'period'); break;
      case 13: repeated(r, wt, p.comments, true, 'comment'); break;
      case 14: p.defaultSampleType = scalar(r, wt, true, 'default_sample_type'); break;
      default: skip(r, t);
    }
  }
  p.lines = lines.data;
  return p;
}
