/**
 * Bounded gunzip for scraped profiles. net/http/pprof sends the gzip as the body itself (no
 * Content-Encoding), so the HTTP client never inflates it; we do, and a hostile or broken
 * endpoint must not be able to make us allocate without bound (gzip bomb).
 *
 * Node's built-in zlib, not pako: it inflates big profiles about 2.5× faster, and its sync API
 * takes an output cap. It reads multi-member streams and reports errors exactly like pako.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';

/** True when data starts with the gzip magic 1f 8b (pprof's own test, profile.Parse). */
export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/**
 * Inflates gzip input, throwing "decompressing profile: …" as soon as the output would exceed
 * maxBytes, or when the stream is corrupt or truncated. Non-gzip input is returned unchanged.
 */
export function ungzipCapped(data: Uint8Array, maxBytes: number): Uint8Array {
  if (!isGzip(data)) return data;
  let out: Buffer;
  try {
    // zlib checks the cap after every output chunk, so at most one chunk beyond it is allocated.
    out = gunzipSync(data, {
      chunkSize: outputChunkSize(data, maxBytes),
      maxOutputLength: Math.min(maxBytes, bufferConstants.MAX_LENGTH),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`decompressing profile: output exceeds the limit of ${maxBytes} bytes (gzip bomb?)`);
    }
    // Z_BUF_ERROR with Z_FINISH means the input ended before the stream did.
    if (e.code === 'Z_BUF_ERROR') throw new Error('decompressing profile: truncated gzip stream');
    throw new Error(`decompressing profile: corrupt gzip stream (${e.message})`);
  }
  // A plain view: callers get the Uint8Array they asked for, without copying the bytes.
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * One output chunk sized from the gzip trailer's ISIZE (uncompressed size mod 2^32) means zlib
 * returns its buffer as is, no concatenation, for the usual single-member body. ISIZE is only a
 * hint (it can lie, or describe only the last member), so it is bounded by deflate's maximum
 * ratio (~1032:1) and 16 MiB; beyond one chunk zlib concatenates once at the end.
 */
function outputChunkSize(data: Uint8Array, maxBytes: number): number {
  const n = data.length;
  const isize = n >= 18 ? (data[n - 4] | (data[n - 3] << 8) | (data[n - 2] << 16) | (data[n - 1] << 24)) >>> 0 : 0;
  return Math.max(16 << 10, Math.min(isize + 1, n * 1032 + 64, 16 << 20, maxBytes + 1));
}
