/**
 * Bounded gunzip for scraped profiles. net/http/pprof sends the gzip as the body itself (no
 * Content-Encoding), so the HTTP client never inflates it; we do, and a hostile or broken
 * endpoint must not be able to make us allocate without bound (gzip bomb). pako, as the product
 * card fixes; Node's zlib measured about 2.5× faster on 8 MB profiles, a trade we chose not to make.
 */
import { Inflate } from 'pako';
import { ProfileError } from './errors.js';

const Z_BUF_ERROR = -5;

/** True when data starts with the gzip magic 1f 8b (pprof's own test, profile.Parse). */
export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/**
 * A bomb is refused by its ratio long before the absolute cap: real pprof profiles inflate 1.5–6×
 * (`npm run bench:hostile` prints the fixtures' ratios), deflate at most ~1032×. Once the output
 * passes RATIO_SLACK it may not exceed MAX_RATIO × the input consumed so far, checked per output
 * chunk, so a 4 MB bomb that would inflate to 4 GB stops after about RATIO_SLACK + one chunk.
 */
export const MAX_RATIO = 100;
export const RATIO_SLACK = 4 << 20;
/** The smaller slack of a body watched as it downloads (GzipWatch) or checked on the event loop. */
export const WATCH_SLACK = 1 << 20;
/** Output chunks are at most this big, so a cap is never overshot by more than this. */
const MAX_CHUNK = 1 << 20;

/** The output passed a cap: `limit` is the absolute cap, or undefined when the ratio tripped. */
export class GzipTooLarge extends ProfileError {
  constructor(
    readonly output: number,
    readonly input: number,
    readonly limit: number | undefined,
  ) {
    super(
      'decompress',
      'too_large',
      limit !== undefined
        ? `output exceeds the limit of ${limit} bytes (gzip bomb?)`
        : `output exceeds ${MAX_RATIO}× its input (${output} bytes from ${input}; gzip bomb?)`,
    );
  }
}

/**
 * Inflates gzip input, throwing a ProfileError of stage `decompress` as soon as the output would exceed
 * maxBytes or MAX_RATIO × the input read so far once past `slack` (GzipTooLarge), or when the
 * stream is corrupt or truncated. Non-gzip input is returned unchanged.
 */
export function ungzipCapped(data: Uint8Array, maxBytes: number, slack = RATIO_SLACK): Uint8Array {
  if (!isGzip(data)) return data;
  const inflate = new Inflate({ chunkSize: outputChunkSize(data, maxBytes) });
  const chunks: Uint8Array[] = [];
  let total = 0;
  // pako types its stream private; next_in is how much of `data` was consumed (total_in
  // restarts at each gzip member).
  const strm = (inflate as unknown as { strm: { next_in: number } }).strm;
  // onData runs once per output chunk, inside push(): throwing here stops inflation right
  // away, so at most one chunk beyond a cap is ever allocated.
  inflate.onData = (chunk: Uint8Array) => {
    total += chunk.length;
    const input = strm.next_in;
    if (total > maxBytes) throw new GzipTooLarge(total, input, maxBytes);
    if (total > slack && total > MAX_RATIO * input) throw new GzipTooLarge(total, input, undefined);
    chunks.push(chunk);
  };
  inflate.onEnd = () => {};
  try {
    inflate.push(data, true);
  } catch (err) {
    if (err instanceof GzipTooLarge) throw err;
    throw new ProfileError('decompress', 'bad_gzip', (err as Error).message, { cause: err });
  }
  // Z_BUF_ERROR after Z_FINISH means the input ended before the stream did.
  if (inflate.err === Z_BUF_ERROR || !inflate.ended) throw new ProfileError('decompress', 'bad_gzip', 'truncated gzip stream');
  if (inflate.err !== 0) throw new ProfileError('decompress', 'bad_gzip', `corrupt gzip stream (${inflate.msg})`);
  return concat(chunks, total);
}

/**
 * One output chunk sized from the gzip trailer's ISIZE (uncompressed size mod 2^32) means no
 * concatenation for the usual single-member body up to MAX_CHUNK. ISIZE is only a hint (it can
 * lie, or describe only the last member), so it is bounded by deflate's maximum ratio (~1032:1).
 */
function outputChunkSize(data: Uint8Array, maxBytes: number): number {
  const n = data.length;
  const isize = n >= 18 ? (data[n - 4] | (data[n - 3] << 8) | (data[n - 2] << 16) | (data[n - 1] << 24)) >>> 0 : 0;
  return Math.max(16 << 10, Math.min(isize + 1, n * 1032 + 64, MAX_CHUNK, maxBytes + 1));
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

/**
 * Watches a gzip body as it arrives: the first `watchBytes` of input are inflated (output
 * counted, then dropped) under the same ratio rule with a smaller slack, so a bomb is refused a
 * few KiB into its download, before it is buffered, copied to a decode worker or inflated there.
 * Bounded main-thread work: at most `watchBytes` of input and about `slack` of output.
 * Not gzip, or corrupt: the watch stops and leaves the verdict to the full decode.
 *
 * A round of captures runs dozens of watches at once, each ~56 KiB of inflate state, window and
 * output chunk (16 KiB, dropped as they come; 64 KiB chunks left the daemon's malloc heap a few
 * MB bigger after every round). With `startAt`, nothing is inflated or allocated until the body
 * passes that many bytes: a body that ends before is small enough for its full check to be
 * bounded anyway (a gzip body of n bytes inflates to at most ~1032 n).
 */
export class GzipWatch {
  private inflate: Inflate | undefined;
  private input = 0;
  private output = 0;
  private done = false;
  /** Pieces received before `startAt` bytes, not inflated yet. */
  private held: Uint8Array[] = [];
  private heldBytes = 0;

  constructor(
    private readonly watchBytes = 64 << 10,
    private readonly slack = WATCH_SLACK,
    private readonly startAt = 0,
  ) {}

  /** Feeds the next piece of the body; throws GzipTooLarge on a bomb. */
  push(chunk: Uint8Array): void {
    if (this.done) return;
    if (this.input === 0 && this.heldBytes === 0 && !isGzip(chunk)) return void (this.done = true);
    if (!this.inflate) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes < this.startAt) return;
      this.start();
      const held = this.held;
      this.held = [];
      for (const piece of held) this.feed(piece);
      return;
    }
    this.feed(chunk);
  }

  private start(): void {
    const inflate = new Inflate({ chunkSize: 16 << 10 });
    const strm = (inflate as unknown as { strm: { next_in: number } }).strm;
    inflate.onData = (chunk: Uint8Array) => {
      this.output += chunk.length;
      const input = this.input + strm.next_in;
      if (this.output > this.slack && this.output > MAX_RATIO * input) throw new GzipTooLarge(this.output, input, undefined);
    };
    inflate.onEnd = () => {};
    this.inflate = inflate;
  }

  private feed(chunk: Uint8Array): void {
    if (this.done) return;
    const part = chunk.subarray(0, this.watchBytes - this.input);
    try {
      this.inflate!.push(part, false);
    } catch (e) {
      this.done = true;
      if (e instanceof GzipTooLarge) throw e;
      return;
    }
    this.input += part.length;
    if (this.input >= this.watchBytes || this.inflate!.ended) this.done = true;
  }
}
