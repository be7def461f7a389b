/**
 * Interning tables for the sample pass (decode-samples.ts): samples with the same stack share
 * one stack, samples with the same label bytes share one `labels` array. Go heap profiles repeat
 * both a lot (one sample per stack and allocation size, each labelled with its size).
 *
 * Both are open-addressing hash tables whose bookkeeping lives in typed arrays, so a table
 * adds almost nothing to the JS heap the GC scans.
 */

/** Smallest power of two ≥ n (n ≥ 1). */
function pow2AtLeast(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/** Slot bookkeeping shared by both tables: slots hold entry index + 1, 0 meaning empty. */
class Slots {
  slots: Int32Array;
  hashes: Int32Array;
  size = 0;

  constructor(expected: number) {
    this.slots = new Int32Array(pow2AtLeast(2 * expected));
    this.hashes = new Int32Array(Math.max(16, expected));
  }

  /** Records entry `size` under hash h at a free slot; returns its entry index. */
  add(h: number): number {
    if (2 * (this.size + 1) > this.slots.length) this.rehash();
    if (this.size === this.hashes.length) {
      const bigger = new Int32Array(this.hashes.length * 2);
      bigger.set(this.hashes);
      this.hashes = bigger;
    }
    const mask = this.slots.length - 1;
    let s = h & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = this.size + 1;
    this.hashes[this.size] = h;
    return this.size++;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let e = 0; e < this.size; e++) {
      let s = this.hashes[e] & mask;
      while (this.slots[s] !== 0) s = (s + 1) & mask;
      this.slots[s] = e + 1;
    }
  }
}

/** Step of a multiplicative hash over 32-bit words (FNV-style mixing, cheap and good enough). */
export function mix(h: number, word: number): number {
  return Math.imul(h ^ word, 0x01000193) ^ (h >>> 15);
}

export const HASH_SEED = 0x811c9dc5 | 0;

/**
 * Distinct stacks, stored flat: stack s is positions[start[s]] .. positions[start[s + 1] - 1]
 * (positions in Profile.locations, leaf first). Keyed by those positions, hashed by the caller.
 */
export class StackTable {
  private readonly index: Slots;
  private start: Int32Array;
  private locs: Int32Array;
  private used = 0;
  count = 0;

  /** expected: stacks (at most); expectedLocations: Σ their lengths, a guess (the buffer grows). */
  constructor(expected: number, expectedLocations: number) {
    this.index = new Slots(expected);
    this.start = new Int32Array(Math.max(16, expected) + 1);
    this.locs = new Int32Array(Math.max(1024, Math.ceil(expectedLocations)));
  }

  /** The stack equal to stack[0..n), or -1. h is the caller's hash of it, built with mix() from HASH_SEED. */
  find(stack: Int32Array, n: number, h: number): number {
    const { slots, hashes } = this.index;
    const { start, locs } = this;
    const mask = slots.length - 1;
    for (let s = h & mask; slots[s] !== 0; s = (s + 1) & mask) {
      const e = slots[s] - 1;
      if (hashes[e] !== h) continue;
      const from = start[e];
      if (start[e + 1] - from !== n) continue;
      let k = 0;
      while (k < n && locs[from + k] === stack[k]) k++;
      if (k === n) return e;
    }
    return -1;
  }

  /** Stores stack[0..n), which find() did not know, hashed h; returns its index. */
  add(stack: Int32Array, n: number, h: number): number {
    const e = this.index.add(h);
    if (e + 2 > this.start.length) this.start = grown(this.start, 2 * this.start.length);
    if (this.used + n > this.locs.length) this.locs = grown(this.locs, Math.max(2 * this.locs.length, this.used + n));
    const locs = this.locs;
    const at = this.used;
    for (let k = 0; k < n; k++) locs[at + k] = stack[k];
    this.used = at + n;
    this.start[e + 1] = this.used;
    this.count = e + 1;
    return e;
  }

  starts(): Int32Array {
    return this.start.subarray(0, this.count + 1);
  }

  positions(): Int32Array {
    return this.locs.subarray(0, this.used);
  }
}

function grown(a: Int32Array, length: number): Int32Array {
  const bigger = new Int32Array(length);
  bigger.set(a);
  return bigger;
}

/** Values keyed by a byte range of the input (the raw label fields of a sample). */
export class SpanTable<T> {
  private readonly index = new Slots(64);
  private starts: Float64Array = new Float64Array(16);
  private ends: Float64Array = new Float64Array(16);
  private readonly values: T[] = [];
  /** Hash of the range last passed to get(), for the put() that follows a miss. */
  private pending = 0;

  constructor(private readonly buf: Uint8Array) {}

  get(start: number, end: number): T | undefined {
    const buf = this.buf;
    let h = HASH_SEED;
    for (let i = start; i < end; i++) h = mix(h, buf[i]);
    this.pending = h;
    const { slots, hashes } = this.index;
    const mask = slots.length - 1;
    for (let s = h & mask; slots[s] !== 0; s = (s + 1) & mask) {
      const e = slots[s] - 1;
      if (hashes[e] !== h) continue;
      const from = this.starts[e];
      if (this.ends[e] - from !== end - start) continue;
      let k = 0;
      while (start + k < end && buf[from + k] === buf[start + k]) k++;
      if (start + k === end) return this.values[e];
    }
    return undefined;
  }

  /** Stores value for the range of the get() that just missed. */
  put(start: number, end: number, value: T): void {
    const e = this.index.add(this.pending);
    if (e === this.starts.length) {
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[e] = start;
    this.ends[e] = end;
    this.values.push(value);
  }
}

function grow(a: Float64Array): Float64Array {
  const bigger = new Float64Array(a.length * 2);
  bigger.set(a);
  return bigger;
}
