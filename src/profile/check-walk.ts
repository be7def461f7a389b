/**
 * Pass one of checkProfile (check.ts): the top-level fields of profile.proto, read as
 * decode-wire.ts's readRawProfile reads them (same wire primitives, same errors), keeping only
 * ids, references, string indices and the string table's offsets, as numbers in typed arrays.
 */
import { closeLen, fail, LEN, NumBuffer, openLen, repeated, scalar, skip, tag, varintBig, VARINT, wire, type Reader } from './wire.js';



/** What the first pass keeps: ids, references and string indices, as numbers. */
export class Walk {
  readonly sampleTypes: number[] = [];
  sampleCount = 0;
  firstSample = 0;
  readonly mappingIds = new NumBuffer(64);
  readonly functionIds = new NumBuffer(64);
  readonly locationIds = new NumBuffer(64);
  /** Function ids the locations' lines name, in order, and the id of the location of each. */
  readonly lineFunctions = new NumBuffer(64);
  readonly lineOwners = new NumBuffer(64);
  /** String indices of mappings and functions, and where each is: (record index × 16 + field) × 2 + (1 for a function). */
  readonly early = new NumBuffer(64);
  readonly earlyWhere = new NumBuffer(64);
  mappings = 0;
  functions = 0;
  /** String indices checked after the samples (default_sample_type, period_type, comments, frames). */
  readonly late: number[] = [];
  /** Each string_table entry: the offset of its length prefix, and its byte length. */
  readonly stringAt = new NumBuffer(64);
  readonly stringLength = new NumBuffer(64);
  timeNanos = 0n;
  timeNanosSeen = false;
  periodType: number[] = [];
  comments: number[] = [];
  defaultSampleType = 0;
  dropFrames = 0;
  keepFrames = 0;
}

function valueType(r: Reader, wt: number, field: string, out: number[]): void {
  const end = openLen(r, wt, field);
  let type = 0;
  let unit = 0;
  while (r.pos < end) {
    const t = tag(r);
    if (t >>> 3 === 1) type = scalar(r, t & 7, true, `${field}.type`);
    else if (t >>> 3 === 2) unit = scalar(r, t & 7, true, `${field}.unit`);
    else skip(r, t);
  }
  closeLen(r, end, field);
  out.push(type, unit);
}

/** A record of varint fields, by field number: its name, and whether it is signed (string indices are). */
interface RecordSpec {
  field: string;
  names: readonly string[];
  signed: readonly boolean[];
  /** Field numbers that are string indices. */
  strings: readonly number[];
}

export const MAPPING: RecordSpec = {
  field: 'mapping',
  names: ['', 'id', 'memory_start', 'memory_limit', 'file_offset', 'filename', 'build_id', 'has_functions'],
  signed: [false, false, false, false, false, true, true, false],
  strings: [5, 6],
};
export const FUNCTION: RecordSpec = {
  field: 'function',
  names: ['', 'id', 'name', 'system_name', 'filename', 'start_line'],
  signed: [false, false, true, true, true, true],
  strings: [2, 3, 4],
};

/** A mapping or function (decode-wire.ts): its id into `ids`, its string indices into w.early. */
function record(r: Reader, wt: number, spec: RecordSpec, w: Walk, ids: NumBuffer, index: number): void {
  const end = openLen(r, wt, spec.field);
  let id = 0;
  const strings = [0, 0, 0];
  while (r.pos < end) {
    const t = tag(r);
    const f = t >>> 3;
    if (f >= 1 && f < spec.names.length) {
      const v = scalar(r, t & 7, spec.signed[f], `${spec.field}.${spec.names[f]}`);
      if (f === 1) id = v;
      else {
        const k = spec.strings.indexOf(f);
        if (k >= 0) strings[k] = v;
      }
    } else skip(r, t);
  }
  closeLen(r, end, spec.field);
  ids.push(id);
  for (let k = 0; k < spec.strings.length; k++) {
    w.early.push(strings[k]);
    w.earlyWhere.push((index * 16 + spec.strings[k]) * 2 + (spec === FUNCTION ? 1 : 0));
  }
}

function location(r: Reader, wt: number, w: Walk): void {
  const end = openLen(r, wt, 'location');
  const firstLine = w.lineFunctions.length;
  let id = 0;
  while (r.pos < end) {
    const t = tag(r);
    const wt2 = t & 7;
    switch (t >>> 3) {
      case 1: id = scalar(r, wt2, false, 'location.id'); break;
      case 2: scalar(r, wt2, false, 'location.mapping_id'); break;
      case 3: scalar(r, wt2, false, 'location.address'); break;
      case 4: {
        const lineEnd = openLen(r, wt2, 'location.line');
        let fn = 0;
        while (r.pos < lineEnd) {
          const t2 = tag(r);
          if (t2 >>> 3 === 1) fn = scalar(r, t2 & 7, false, 'line.function_id');
          else if (t2 >>> 3 === 2) scalar(r, t2 & 7, true, 'line.line');
          else skip(r, t2);
        }
        closeLen(r, lineEnd, 'location.line');
        w.lineFunctions.push(fn);
        break;
      }
      case 5: scalar(r, wt2, false, 'location.is_folded'); break;
      default: skip(r, t);
    }
  }
  closeLen(r, end, 'location');
  w.locationIds.push(id);
  for (let k = firstLine; k < w.lineFunctions.length; k++) w.lineOwners.push(id);
}

/** Pass one over the top-level fields, as decode-wire.ts's readRawProfile. */
export function walk(r: Reader): Walk {
  const w = new Walk();
  while (r.pos < r.len) {
    const at = r.pos;
    const t = tag(r);
    const wt = t & 7;
    switch (t >>> 3) {
      case 1: valueType(r, wt, 'sample_type', w.sampleTypes); break;
      case 2: {
        const end = openLen(r, wt, 'sample');
        if (w.sampleCount++ === 0) w.firstSample = at;
        r.pos = end;
        break;
      }
      case 3: record(r, wt, MAPPING, w, w.mappingIds, w.mappings++); break;
      case 4: location(r, wt, w); break;
      case 5: record(r, wt, FUNCTION, w, w.functionIds, w.functions++); break;
      case 6: {
        wire(r, wt, LEN, 'string_table');
        const start = r.pos;
        const n = r.size();
        if (r.pos + n > r.len) fail(r, 'string_table entry overruns the input');
        w.stringAt.push(start);
        w.stringLength.push(n);
        r.pos += n;
        break;
      }
      case 7: w.dropFrames = scalar(r, wt, true, 'drop_frames'); break;
      case 8: w.keepFrames = scalar(r, wt, true, 'keep_frames'); break;
      case 9:
        if (w.timeNanosSeen) fail(r, 'concatenated profiles detected (time_nanos twice)');
        wire(r, wt, VARINT, 'time_nanos');
        w.timeNanos = varintBig(r);
        w.timeNanosSeen = true;
        break;
      case 10: scalar(r, wt, true, 'duration_nanos'); break;
      case 11: w.periodType = []; valueType(r, wt, 'period_type', w.periodType); break;
      case 12: scalar(r, wt, true, 'period'); break;
      case 13: repeated(r, wt, w.comments, true, 'comment'); break;
      case 14: w.defaultSampleType = scalar(r, wt, true, 'default_sample_type'); break;
      default: skip(r, t);
    }
  }
  return w;
}
