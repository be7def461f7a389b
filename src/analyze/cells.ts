/**
 * Fixed-width cells in one ArrayBuffer, column-major, as a ring: `d` Float64 columns, then `c`
 * four-byte columns read as Int32 or Float32 (the same cells through two views). Column k of
 * slot s is at k × cap + s in its view. The storage under BucketRing (bucket-ring.ts). Pure.
 */
export class Cells {
  f64!: Float64Array;
  i32!: Int32Array;
  f32!: Float32Array;
  cap = 0;
  /** Physical slot of the oldest entry; entries held; sequence number of the oldest. */
  head = 0;
  length = 0;
  first = 0;

  constructor(private readonly d: number, private readonly c: number, private readonly expected: number) {
    this.alloc(Math.min(16, expected));
  }

  slot(i: number): number {
    const s = this.head + i;
    return s >= this.cap ? s - this.cap : s;
  }

  /** Appends an entry; returns its slot. */
  add(): number {
    if (this.length === this.cap) this.grow();
    return this.slot(this.length++);
  }

  drop(k: number): void {
    k = Math.min(k, this.length);
    this.head = this.slot(k);
    this.length -= k;
    this.first += k;
    if (this.length === 0) this.head = 0;
  }

  get bytes(): number {
    return this.f64.buffer.byteLength;
  }

  private alloc(cap: number): void {
    const buf = new ArrayBuffer(cap * (8 * this.d + 4 * this.c));
    this.f64 = new Float64Array(buf, 0, this.d * cap);
    this.i32 = new Int32Array(buf, 8 * this.d * cap, this.c * cap);
    this.f32 = new Float32Array(buf, 8 * this.d * cap, this.c * cap);
    this.cap = cap;
  }

  /**
   * Grows by a quarter (at most a quarter idle: doubling left 1,000 services' 6-hour rings 44 %
   * empty), up to `expected` first; past it only when restarts close buckets early.
   */
  private grow(): void {
    const next = Math.max(this.cap + 16, Math.ceil(this.cap * 1.25));
    this.resize(this.cap < this.expected ? Math.min(next, this.expected) : next);
  }

  /** Room for `n` entries at once (a history about to be loaded), up to `expected`. */
  reserve(n: number): void {
    const cap = Math.min(n, this.expected);
    if (cap > this.cap) this.resize(cap);
  }

  private resize(cap: number): void {
    const old = { f64: this.f64, i32: this.i32, cap: this.cap };
    this.alloc(cap);
    for (let i = 0; i < this.length; i++) {
      const s = this.head + i < old.cap ? this.head + i : this.head + i - old.cap;
      for (let k = 0; k < this.d; k++) this.f64[k * this.cap + i] = old.f64[k * old.cap + s];
      for (let k = 0; k < this.c; k++) this.i32[k * this.cap + i] = old.i32[k * old.cap + s];
    }
    this.head = 0;
  }
}
