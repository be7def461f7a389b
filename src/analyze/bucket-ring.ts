/**
 * Completed buckets held column by column: one Float64Array (15 columns) and one Int32Array
 * (4 columns) per ring, column-major, with a head index. A bucket costs 136 bytes of columns plus
 * a 40-byte view (below) instead of a ~550-byte object of 22 boxed doubles: at 1,000 services with
 * full 6-hour windows the history is ~29 MB (heap snapshot: 23 MB of typed arrays, 6 MB of views).
 *
 * Readers that want objects get `views`: an array of two-field cursors (40 bytes a bucket), kept
 * in step with the ring, which the detector's checks index and iterate (`h.fine[i].b`,
 * `for (const b of h.fine)`) at array speed. (A Proxy made views on demand and held none, but
 * made the 7-day replay 3.4× slower: the checks scan the list from its start.) The ring holds
 * that array only weakly: it lives while a reader holds it and until the next full GC after, and
 * is built again (one pass) on the next read. Between evaluations nothing holds it, so 1,000
 * services' views (6 MB of objects and 2 MB of arrays with 6-hour windows, 5× that once a day
 * is held) are not part of the daemon's steady heap. A view names its bucket by sequence number,
 * not slot, so one held across a grow or a drop stays right without the ring updating it. Pure.
 */
import type { Bucket } from './buckets.js';

/** The fields a history bucket has: a Bucket, or a view of one in a ring. */
export interface BucketFields {
  readonly b: number;
  readonly t: number;
  readonly life: number;
  readonly lifeStart: number;
  readonly samples: number;
  readonly goalLive: number;
  readonly cycleMin: number;
  readonly goalMin: number;
  readonly ratioMax: number;
  readonly sys: number;
  readonly rss: number;
  readonly goroutines: number;
  readonly allocBytes: number;
  readonly allocMs: number;
  readonly rateN: number;
  readonly rateSum: number;
  readonly rateSq: number;
  readonly gcs: number;
  readonly memlimit: number;
  readonly samplesAtMinimum: number;
  readonly allocRate: number;
  readonly rateVariance: number;
}

/** Mean allocation rate (bytes/s) of a bucket, NaN when unknown. */
export function allocRateOf(allocBytes: number, allocMs: number): number {
  return allocMs > 0 ? (allocBytes / allocMs) * 1000 : NaN;
}

/** Variance of a bucket's mean rate from the scatter of its intervals (NaN with fewer than 3). */
export function rateVarianceOf(rateN: number, rateSum: number, rateSq: number): number {
  const k = rateN;
  if (k < 3) return NaN;
  const mean = rateSum / k;
  return Math.max(0, rateSq / k - mean * mean) / (k - 1);
}

// Float64 columns (offset = column × capacity).
const B = 0, LIFE_START = 1, GOAL_LIVE = 2, CYCLE_MIN = 3, GOAL_MIN = 4, RATIO_MAX = 5, SYS = 6, RSS = 7,
  GOROUTINES = 8, ALLOC_BYTES = 9, ALLOC_MS = 10, RATE_SUM = 11, RATE_SQ = 12, GCS = 13, MEMLIMIT = 14;
const FLOAT_COLUMNS = 15;
// Int32 columns.
const LIFE = 0, SAMPLES = 1, RATE_N = 2, GOAL_AT_MINIMUM = 3;
const INT_COLUMNS = 4;

/** Completed buckets of one width, oldest first. `t` is not stored: it is the middle of bucket `b`. */
export class BucketRing {
  f: Float64Array;
  n: Int32Array;
  cap: number;
  /** Physical slot of the oldest bucket. */
  head = 0;
  length = 0;
  /** Sequence number of the oldest bucket (buckets pushed before it, dropped since). */
  first = 0;
  /** One view per bucket, oldest first, while someone holds the list (see above). */
  private viewsRef: WeakRef<BucketView[]> | undefined;

  /** `expected`: how many buckets the ring usually holds when full (it grows past that if it must). */
  constructor(readonly width: number, private readonly expected: number) {
    this.cap = 16;
    this.f = new Float64Array(FLOAT_COLUMNS * this.cap);
    this.n = new Int32Array(INT_COLUMNS * this.cap);
  }

  /** One view per bucket, oldest first; the same array as long as a reader holds it. */
  get views(): BucketView[] {
    let v = this.viewsRef?.deref();
    if (!v) {
      v = new Array<BucketView>(this.length);
      for (let i = 0; i < this.length; i++) v[i] = new BucketView(this, this.first + i);
      this.viewsRef = new WeakRef(v);
    }
    return v;
  }

  /** Physical slot of the i-th oldest bucket. */
  slot(i: number): number {
    const s = this.head + i;
    return s >= this.cap ? s - this.cap : s;
  }

  push(x: Bucket): void {
    if (this.length === this.cap) this.grow();
    const s = this.slot(this.length++);
    const f = this.f, c = this.cap, n = this.n;
    f[B * c + s] = x.b;
    f[LIFE_START * c + s] = x.lifeStart;
    f[GOAL_LIVE * c + s] = x.goalLive;
    f[CYCLE_MIN * c + s] = x.cycleMin;
    f[GOAL_MIN * c + s] = x.goalMin;
    f[RATIO_MAX * c + s] = x.ratioMax;
    f[SYS * c + s] = x.sys;
    f[RSS * c + s] = x.rss;
    f[GOROUTINES * c + s] = x.goroutines;
    f[ALLOC_BYTES * c + s] = x.allocBytes;
    f[ALLOC_MS * c + s] = x.allocMs;
    f[RATE_SUM * c + s] = x.rateSum;
    f[RATE_SQ * c + s] = x.rateSq;
    f[GCS * c + s] = x.gcs;
    f[MEMLIMIT * c + s] = x.memlimit;
    n[LIFE * c + s] = x.life;
    n[SAMPLES * c + s] = x.samples;
    n[RATE_N * c + s] = x.rateN;
    n[GOAL_AT_MINIMUM * c + s] = x.samplesAtMinimum;
    this.viewsRef?.deref()?.push(new BucketView(this, this.first + this.length - 1));
  }

  /** Forgets the `k` oldest buckets. */
  dropFront(k: number): void {
    k = Math.min(k, this.length);
    this.head = this.slot(k);
    this.length -= k;
    this.first += k;
    if (this.length === 0) this.head = 0;
    this.viewsRef?.deref()?.splice(0, k);
  }

  /**
   * Grows by a quarter (at most a quarter of the typed arrays idle: doubling left 1,000 services'
   * 6-hour rings 44 % empty, 14 MB), up to `expected` first; past it only when restarts close
   * buckets early.
   */
  private grow(): void {
    const next = Math.max(this.cap + 16, Math.ceil(this.cap * 1.25));
    const cap = this.cap < this.expected ? Math.min(next, this.expected) : next;
    const f = new Float64Array(FLOAT_COLUMNS * cap);
    const n = new Int32Array(INT_COLUMNS * cap);
    for (let i = 0; i < this.length; i++) {
      const s = this.slot(i);
      for (let col = 0; col < FLOAT_COLUMNS; col++) f[col * cap + i] = this.f[col * this.cap + s];
      for (let col = 0; col < INT_COLUMNS; col++) n[col * cap + i] = this.n[col * this.cap + s];
    }
    this.f = f;
    this.n = n;
    this.cap = cap;
    this.head = 0;
  }

  /** Bucket index of the i-th oldest bucket. */
  bAt(i: number): number {
    return this.f[B * this.cap + this.slot(i)];
  }

  /** Middle of the i-th oldest bucket, Unix ms (as the folder computes it). */
  tAt(i: number): number {
    return (this.bAt(i) + 0.5) * this.width;
  }

  lifeAt(i: number): number {
    return this.n[LIFE * this.cap + this.slot(i)];
  }

  /** Typed-array bytes held (for footprint reports). */
  get bytes(): number {
    return this.f.byteLength + this.n.byteLength;
  }
}

/** One bucket of a ring, read in place. `q`: its sequence number (its slot follows from the ring's head). */
export class BucketView implements BucketFields {
  constructor(private readonly r: BucketRing, readonly q: number) {}
  /** Physical slot of this bucket now. */
  private get s(): number {
    const r = this.r;
    const s = r.head + this.q - r.first;
    return s >= r.cap ? s - r.cap : s;
  }
  private fl(col: number): number {
    return this.r.f[col * this.r.cap + this.s];
  }
  // Column B is the first: the list scans read b and t most.
  get b(): number { return this.r.f[this.s]; }
  get t(): number { return (this.r.f[this.s] + 0.5) * this.r.width; }
  get life(): number { return this.r.n[LIFE * this.r.cap + this.s]; }
  get lifeStart(): number { return this.fl(LIFE_START); }
  get samples(): number { return this.r.n[SAMPLES * this.r.cap + this.s]; }
  get goalLive(): number { return this.fl(GOAL_LIVE); }
  get cycleMin(): number { return this.fl(CYCLE_MIN); }
  get goalMin(): number { return this.fl(GOAL_MIN); }
  get ratioMax(): number { return this.fl(RATIO_MAX); }
  get sys(): number { return this.fl(SYS); }
  get rss(): number { return this.fl(RSS); }
  get goroutines(): number { return this.fl(GOROUTINES); }
  get allocBytes(): number { return this.fl(ALLOC_BYTES); }
  get allocMs(): number { return this.fl(ALLOC_MS); }
  get rateN(): number { return this.r.n[RATE_N * this.r.cap + this.s]; }
  get rateSum(): number { return this.fl(RATE_SUM); }
  get rateSq(): number { return this.fl(RATE_SQ); }
  get gcs(): number { return this.fl(GCS); }
  get memlimit(): number { return this.fl(MEMLIMIT); }
  get samplesAtMinimum(): number { return this.r.n[GOAL_AT_MINIMUM * this.r.cap + this.s]; }
  get allocRate(): number { return allocRateOf(this.allocBytes, this.allocMs); }
  get rateVariance(): number { return rateVarianceOf(this.rateN, this.rateSum, this.rateSq); }
}
