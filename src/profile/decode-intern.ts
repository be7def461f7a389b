/**
 * Interning tables for the sample pass (decode-samples.ts): samples with the same stack share
 * one `locations` array, samples with the same label bytes share one `labels` array. Go heap
 * profiles repeat both a lot (one sample per stack and allocation size, each labelled with its
 * size), and every shared array is one less object for the GC to copy while the model grows.
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
 * Stacks keyed by their location ids (ids are unique, so equal ids mean the same locations).
 * An entry is the index of the sample that owns the stack, not the stack itself: a second
 * array of 100,000 young references would only give the GC more to scan.
 */
export class StackTable<T extends { id: number }> {
  private readonly index: Slots;
  private owners: Int32Array;

  constructor(expected: number) {
    this.index = new Slots(expected);
    this.owners = new Int32Array(Math.max(16, expected));
  }

  /**
   * The stack, among samples' own, equal to ids[0..n), if any. h is the caller's hash of
   * those ids, built with mix() from HASH_SEED.
   */
  find(ids: number[], n: number, h: number, samples: readonly { locations: T[] }[]): T[] | undefined {
    const { slots, hashes } = this.index;
    const mask = slots.length - 1;
    for (let s = h & mask; slots[s] !== 0; s = (s + 1) & mask) {
      const e = slots[s] - 1;
      if (hashes[e] !== h) continue;
      const cand = samples[this.owners[e]].locations;
      if (cand.length !== n) continue;
      let k = 0;
      while (k < n && cand[k].id === ids[k]) k++;
      if (k === n) return cand;
    }
    return undefined;
  }

  /** Records that sample `owner` has a stack find() did not know, hashed h. */
  add(h: number, owner: number): void {
    const e = this.index.add(h);
    if (e === this.owners.length) {
      const bigger = new Int32Array(this.owners.length * 2);
      bigger.set(this.owners);
      this.owners = bigger;
    }
    this.owners[e] = owner;
  }
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
