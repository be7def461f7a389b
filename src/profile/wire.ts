/**
 * Protocol-buffer primitives on protobufjs's low-level Reader (no reflection), shared by the two
 * decoding passes (decode-wire.ts, decode-samples.ts). Failures are ProfileErrors of stage
 * `parse` (the wire format, with the offset) or `resolve` (the contents).
 */
import protobuf from 'protobufjs/minimal.js';
import { ProfileError } from './errors.js';

export type Reader = protobuf.Reader;

export const VARINT = 0;
export const LEN = 2;
const TWO_32 = 4294967296;

/** The wire format is broken at the reader's position. */
export function fail(r: Reader, what: string): never {
  throw new ProfileError('parse', 'bad_wire', `${what} at offset ${r.pos}`);
}

/** A well-formed message that is not a valid profile. */
export function malformed(what: string): never {
  throw new ProfileError('resolve', 'invalid', what);
}

/**
 * Reads a varint as a JS number: exact up to 2^53, negative int64 via two's complement.
 * protobufjs's own int64() allocates a Long per value, which dominates decode time.
 */
export function varint(r: Reader, signed: boolean): number {
  const buf = r.buf;
  const len = r.len;
  let pos = r.pos;
  if (pos >= len) fail(r, 'truncated varint');
  let b = buf[pos++];
  if (b < 0x80) {
    r.pos = pos;
    return b;
  }
  let lo = b & 0x7f;
  for (let shift = 7; shift < 28; shift += 7) {
    if (pos >= len) fail(r, 'truncated varint');
    b = buf[pos++];
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      return lo;
    }
  }
  if (pos >= len) fail(r, 'truncated varint');
  b = buf[pos++];
  lo = (lo | ((b & 0x7f) << 28)) >>> 0;
  let hi = (b & 0x7f) >>> 4;
  for (let shift = 3; b >= 0x80; shift += 7) {
    if (shift > 31) fail(r, 'varint longer than 10 bytes');
    if (pos >= len) fail(r, 'truncated varint');
    b = buf[pos++];
    hi = (hi | ((b & 0x7f) << shift)) >>> 0;
  }
  r.pos = pos;
  return (signed ? hi | 0 : hi) * TWO_32 + lo;
}

/** Exact signed 64-bit varint, for time_nanos (~1.8e18 > 2^53). */
export function varintBig(r: Reader): bigint {
  const start = r.pos;
  varint(r, false);
  let v = 0n;
  for (let i = r.pos - 1; i >= start; i--) v = (v << 7n) | BigInt(r.buf[i] & 0x7f);
  return BigInt.asIntN(64, v);
}

export function wire(r: Reader, got: number, want: number, field: string): void {
  if (got !== want) fail(r, `${field} has wire type ${got}, want ${want}`);
}

/** Starts a length-delimited record; returns its end offset. */
export function openLen(r: Reader, wt: number, field: string): number {
  wire(r, wt, LEN, field);
  const end = r.size() + r.pos;
  if (end > r.len) fail(r, `${field} overruns the input`);
  return end;
}

export function closeLen(r: Reader, end: number, field: string): void {
  if (r.pos !== end) fail(r, `${field} overruns its length`);
}

/** A repeated scalar, packed (wire type 2) or not (Go writes ≤ 2 entries unpacked). */
export function repeated(r: Reader, wt: number, out: number[], signed: boolean, field: string): void {
  if (wt === VARINT) {
    out.push(varint(r, signed));
    return;
  }
  const end = openLen(r, wt, field);
  while (r.pos < end) out.push(varint(r, signed));
  closeLen(r, end, field);
}

export function scalar(r: Reader, wt: number, signed: boolean, field: string): number {
  wire(r, wt, VARINT, field);
  return varint(r, signed);
}

/**
 * Skips an unknown field (newer schema fields such as doc_url or Line.column). Like pprof's own
 * decoder, only the wire types proto3 writes are accepted (no groups).
 */
export function skip(r: Reader, t: number): void {
  const wt = t & 7;
  if (t >>> 3 === 0) fail(r, 'illegal field number 0');
  if (wt !== 0 && wt !== 1 && wt !== 2 && wt !== 5) fail(r, `field ${t >>> 3} has unknown wire type ${wt}`);
  const start = r.pos;
  try {
    r.skipType(wt);
  } catch {
    r.pos = start;
    fail(r, `field ${t >>> 3} overruns the input`);
  }
}

export function tag(r: Reader): number {
  const start = r.pos;
  try {
    return r.tag();
  } catch {
    r.pos = start;
    return fail(r, 'truncated field tag');
  }
}

/** Growable flat list of numbers in a Float64Array (ids, references, line records). */
export class NumBuffer {
  data: Float64Array;
  length = 0;
  constructor(capacity = 256) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}
