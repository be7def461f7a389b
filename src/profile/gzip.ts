/**
 * Bounded gunzip for scraped profiles. net/http/pprof sends the gzip as the body itself (no
 * Content-Encoding), so the HTTP client never inflates it; we do, and a hostile or broken
 * endpoint must not be able to make us allocate without bound (gzip bomb). pako, as the product
 * card fixes; Node's zlib measured about 2.5× faster on 8 MB profiles, a trade we chose not to make.
 */
import { Inflate } from 'pako';

const Z_BUF_ERROR = -5;

/** True when data starts with the gzip magic 1f 8b (pprof's own test, profile.Parse). */
export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

class OutputTooLarge extends Error {}

/**
 * Inflates gzip input, throwing "decompressing profile: …" as soon as the output would exceed
 * maxBytes, or when the stream is corrupt or truncated. Non-gzip input is returned unchanged.
 */
export function ungzipCapped(data: Uint8Array, maxBytes: number): Uint8Array {
  if (!isGzip(data)) return data;
  const inflate = new Inflate({ chunkSize: outputChunkSize(data, maxBytes) });
  const chunks: Uint8Array[] = [];
  let total = 0;
  // onData runs once per output chunk, inside push(): throwing here stops inflation right
  // away, so at most one chunk beyond the cap is ever allocated.
  inflate.onData = (chunk: Uint8Array) => {
    total += chunk.length;
    if (total > maxBytes) throw new OutputTooLarge();
    chunks.push(chunk);
  };
  inflate.onEnd = () => {};
  try {
    inflate.push(data, true);
  } catch (err) {
    if (err instanceof OutputTooLarge) {
      throw new Error(`decompressing profile: output exceeds the limit of ${maxBytes} bytes (gzip bomb?)`);
    }
    throw new Error(`decompressing profile: ${(err as Error).message}`);
  }
  // Z_BUF_ERROR after Z_FINISH means the input ended before the stream did.
  if (inflate.err === Z_BUF_ERROR || !inflate.ended) throw new Error('decompressing profile: truncated gzip stream');
  if (inflate.err !== 0) throw new Error(`decompressing profile: corrupt gzip stream (${inflate.msg})`);
  return concat(chunks, total);
}

/**
 * One output chunk sized from the gzip trailer's ISIZE (uncompressed size mod 2^32) means no
 * concatenation for the usual single-member body. ISIZE is only a hint (it can lie, or describe
 * only the last member), so it is bounded by deflate's maximum ratio (~1032:1) and 16 MiB.
 */
function outputChunkSize(data: Uint8Array, maxBytes: number): number {
  const n = data.length;
  const isize = n >= 18 ? (data[n - 4] | (data[n - 3] << 8) | (data[n - 2] << 16) | (data[n - 1] << 24)) >>> 0 : 0;
  return Math.max(16 << 10, Math.min(isize + 1, n * 1032 + 64, 16 << 20, maxBytes + 1));
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
