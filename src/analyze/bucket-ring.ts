/**
 * Completed buckets held column by column in typed arrays, as a ring. Every bucket keeps what the
 * checks read over a day or a week (its index, lifetime and floors: 36 bytes); only the newest
 * (`Recent`: the trend window) keep the rest (allocation rates, GC counts, the goal ratio: 60
 * bytes more). At 1,000 services with a 6-hour window and a day behind it that was ~35 MB at 32
 * bytes (footprint bench; the floor from LastGC adds ~3 MB), where every field for every bucket in
 * Float64 was 136 bytes a bucket, ~107 MB.
 *
 * Readers that want objects get `views`: an array of two-field cursors (40 bytes a bucket), kept
 * in step with the ring, which the detector's checks index and iterate (`h.fine[i].b`,
 * `for (const b of h.fine)`) at array speed. (A Proxy made views on demand and held none, but
 * made the 7-day replay 3.4× slower: the checks scan the list from its start.) The ring holds
 * that array only weakly: it lives while a reader holds it and until the next full GC after, and
 * is built again (one pass) on the next read. Between evaluations nothing holds it, so 1,000
 * services' views are not part of the daemon's steady heap. A view names its bucket by sequence
 * number, not slot, so one held across a grow or a drop stays right without the ring updating
 * it. Pure.
 */
import type { Bucket } from './buckets.js';
import { Cells } from './cells.js';
import type { GoalColumns } from './goal.js';

/** The fields a history bucket has: a Bucket, or a view of one in a ring. */
export interface BucketFields {
  readonly b: number;
  readonly t: number;
  readonly life: number;
  readonly lifeStart: number;
  readonly samples: number;
  readonly goalLive: number;
  readonly cycleMin: number;
  readonly cycleLive: number;
  readonly goalMin: number;
  readonly ratioMax: number;
  readonly sys: number;
  readonly heapSys: number;
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

/** The fields the GC goal's checks read (goal.ts: estimateGoalRatio, goalPinned, heapFloor). */
export type GoalFields = Pick<BucketFields, 't' | 'ratioMax' | 'goalLive' | 'cycleMin' | 'goalMin'>;
/** What a bucket's heap floor is read from (goal.ts, heapFloor). */
export type HeapFloors = Pick<BucketFields, 'goalLive' | 'cycleMin' | 'cycleLive' | 'goalMin'>;

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

// Every bucket (four-byte cells): `b` as an offset from the ring's first bucket index, the
// lifetime, and the floors the checks read over a day (values as Float32: 24 bits of mantissa,
// 64 bytes at 1 GB), in columns FLOOR0 on.
const B = 0, LIFE = 1, FLOOR0 = 2;
const FLOORS = ['goalLive', 'cycleMin', 'cycleLive', 'goalMin', 'sys', 'rss', 'goroutines'] as const;
export type Floor = (typeof FLOORS)[number];
const COLUMNS = FLOOR0 + FLOORS.length;
// The newest buckets only (`Recent`): what the checks read within the trend window. Float64
// columns, then four-byte ones (Int32 first, then Float32), each list in column order.
const WIDE_F64 = ['allocBytes', 'allocMs', 'rateSum', 'rateSq', 'memlimit'] as const;
const WIDE_I32 = ['samples', 'rateN', 'samplesAtMinimum'] as const;
const WIDE_F32 = ['ratioMax', 'gcs', 'heapSys'] as const;
// Column indices, from the lists (the writer walks the same lists): they cannot fall out of step.
const floorCol = (f: Floor): number => FLOOR0 + FLOORS.indexOf(f);
/** The floors' columns, for reading them in place (BucketRing.cell). */
export const GOAL_LIVE = floorCol('goalLive'), CYCLE_MIN = floorCol('cycleMin'), CYCLE_LIVE = floorCol('cycleLive'), GOAL_MIN = floorCol('goalMin');
export const SYS = floorCol('sys'), RSS = floorCol('rss'), GOROUTINES = floorCol('goroutines');
const ALLOC_BYTES = WIDE_F64.indexOf('allocBytes'), ALLOC_MS = WIDE_F64.indexOf('allocMs');
const RATE_SUM = WIDE_F64.indexOf('rateSum'), RATE_SQ = WIDE_F64.indexOf('rateSq'), MEMLIMIT = WIDE_F64.indexOf('memlimit');
const SAMPLES = WIDE_I32.indexOf('samples'), RATE_N = WIDE_I32.indexOf('rateN'), AT_MINIMUM = WIDE_I32.indexOf('samplesAtMinimum');
const RATIO_MAX = WIDE_I32.length + WIDE_F32.indexOf('ratioMax'), GCS = WIDE_I32.length + WIDE_F32.indexOf('gcs');
const HEAP_SYS = WIDE_I32.length + WIDE_F32.indexOf('heapSys');

/** Which of the newest buckets keep every field: at least `count` of them, and all within `span` ms of the newest. */
export interface Recent {
  count: number;
  span: number;
}

/**
 * Completed buckets of one width, oldest first. `t` is not stored: it is the middle of bucket
 * `b`. A lifetime's start is kept once per lifetime, not per bucket.
 */
export class BucketRing {
  private readonly all: Cells;
  private readonly wide: Cells;
  /** Bucket index `b` of the first bucket ever pushed (stored `b` are offsets from it). */
  private bBase = NaN;
  private readonly lifeStarts = new Map<number, number>();
  /** One view per bucket, oldest first, while someone holds the list (see above). */
  private viewsRef: WeakRef<BucketView[]> | undefined;

  /** `expected`: how many buckets the ring usually holds when full (it grows past that if it must). */
  constructor(readonly width: number, expected: number, private readonly recent: Recent = { count: Infinity, span: Infinity }) {
    this.all = new Cells(0, COLUMNS, expected);
    this.wide = new Cells(WIDE_F64.length, WIDE_I32.length + WIDE_F32.length, Math.min(expected, Math.max(recent.count, Math.ceil(recent.span / width)) + 8));
  }

  get length(): number {
    return this.all.length;
  }

  /** Sequence number of the oldest bucket (buckets pushed before it, dropped since). */
  get first(): number {
    return this.all.first;
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

  push(x: Bucket): void {
    if (Number.isNaN(this.bBase)) this.bBase = x.b;
    const a = this.all, s = a.add(), c = a.cap;
    a.i32[B * c + s] = x.b - this.bBase;
    a.i32[LIFE * c + s] = x.life;
    for (let k = 0; k < FLOORS.length; k++) a.f32[(FLOOR0 + k) * c + s] = x[FLOORS[k]];
    if (!this.lifeStarts.has(x.life)) this.lifeStarts.set(x.life, x.lifeStart);
    const w = this.wide, ws = w.add(), wc = w.cap;
    for (let k = 0; k < WIDE_F64.length; k++) w.f64[k * wc + ws] = x[WIDE_F64[k]];
    for (let k = 0; k < WIDE_I32.length; k++) w.i32[k * wc + ws] = x[WIDE_I32[k]];
    for (let k = 0; k < WIDE_F32.length; k++) w.f32[(WIDE_I32.length + k) * wc + ws] = x[WIDE_F32[k]];
    // The wide cells cover the newest buckets only.
    const cut = x.t - this.recent.span;
    while (w.length > this.recent.count && this.tAt(w.first - this.first) < cut) w.drop(1);
    this.viewsRef?.deref()?.push(new BucketView(this, this.first + this.length - 1));
  }

  /** Forgets the `k` oldest buckets. */
  dropFront(k: number): void {
    this.all.drop(k);
    if (this.wide.first < this.all.first) this.wide.drop(this.all.first - this.wide.first);
    const oldest = this.length ? this.lifeAt(0) : Infinity;
    for (const life of this.lifeStarts.keys()) if (life < oldest) this.lifeStarts.delete(life);
    this.viewsRef?.deref()?.splice(0, k);
  }

  /** Bucket index of the i-th oldest bucket. */
  bAt(i: number): number {
    return this.bBase + this.all.i32[B * this.all.cap + this.all.slot(i)];
  }

  /** Middle of the i-th oldest bucket, Unix ms (as the folder computes it). */
  tAt(i: number): number {
    return (this.bAt(i) + 0.5) * this.width;
  }

  lifeAt(i: number): number {
    return this.all.i32[LIFE * this.all.cap + this.all.slot(i)];
  }

  /** What bucket `q`'s (sequence number) heap floor is read from (goal.ts, heapFloor), into `to`: no object made per bucket. */
  heapFloorsInto(q: number, to: { -readonly [K in keyof HeapFloors]: number }): void {
    to.goalLive = this.cell(q, GOAL_LIVE);
    to.cycleMin = this.cell(q, CYCLE_MIN);
    to.cycleLive = this.cell(q, CYCLE_LIVE);
    to.goalMin = this.cell(q, GOAL_MIN);
  }

  /** Appends what the GC goal's checks read of the i-th oldest bucket to `to` (goal.ts), no object made. */
  goalFieldsInto(i: number, to: GoalColumns): void {
    const q = this.first + i;
    const k = to.length++;
    to.t[k] = this.tAt(i);
    to.ratioMax[k] = this.wideCell(q, RATIO_MAX, false);
    to.goalLive[k] = this.cell(q, GOAL_LIVE);
    to.cycleMin[k] = this.cell(q, CYCLE_MIN);
    to.goalMin[k] = this.cell(q, GOAL_MIN);
  }

  /**
   * Room for `n` buckets at once, before a history is loaded: grown a quarter at a time while a
   * restarted daemon read its past, every service's freed steps stayed behind as holes in
   * malloc's heap. Only a load reserves: sizing every ring for its whole expected size up front
   * touched pages of rings that never fill (1,000 services ran ~15 MB larger; bench:footprint).
   */
  reserve(n: number): void {
    this.all.reserve(n);
    this.wide.reserve(n);
  }

  /** Typed-array bytes held (for footprint reports). */
  get bytes(): number {
    return this.all.bytes + this.wide.bytes;
  }

  /** Field reads for views, by sequence number `q`. */
  lifeStartOf(life: number): number {
    return this.lifeStarts.get(life) ?? NaN;
  }

  /** A floor of bucket `q` (sequence number) by its column (GOAL_LIVE … GOROUTINES), read in place. */
  cell(q: number, col: number): number {
    const a = this.all;
    return a.f32[col * a.cap + a.slot(q - a.first)];
  }

  int(q: number, col: number): number {
    const a = this.all;
    return a.i32[col * a.cap + a.slot(q - a.first)];
  }

  /** A field kept for the newest buckets only: NaN (counts: 0) for older ones. */
  wideCell(q: number, col: number, f64: boolean): number {
    const w = this.wide;
    if (q < w.first) return NaN;
    const s = w.slot(q - w.first);
    return f64 ? w.f64[col * w.cap + s] : w.f32[col * w.cap + s];
  }

  wideInt(q: number, col: number): number {
    const w = this.wide;
    return q < w.first ? 0 : w.i32[col * w.cap + w.slot(q - w.first)];
  }
}

/** One bucket of a ring, read in place. `q`: its sequence number (its slot follows from the ring's head). */
export class BucketView implements BucketFields {
  constructor(private readonly r: BucketRing, readonly q: number) {}
  get b(): number { return this.r.bAt(this.q - this.r.first); }
  get t(): number { return (this.b + 0.5) * this.r.width; }
  get life(): number { return this.r.int(this.q, LIFE); }
  get lifeStart(): number { return this.r.lifeStartOf(this.life); }
  get goalLive(): number { return this.r.cell(this.q, GOAL_LIVE); }
  get cycleMin(): number { return this.r.cell(this.q, CYCLE_MIN); }
  get cycleLive(): number { return this.r.cell(this.q, CYCLE_LIVE); }
  get goalMin(): number { return this.r.cell(this.q, GOAL_MIN); }
  get sys(): number { return this.r.cell(this.q, SYS); }
  get rss(): number { return this.r.cell(this.q, RSS); }
  get goroutines(): number { return this.r.cell(this.q, GOROUTINES); }
  get samples(): number { return this.r.wideInt(this.q, SAMPLES); }
  get rateN(): number { return this.r.wideInt(this.q, RATE_N); }
  get samplesAtMinimum(): number { return this.r.wideInt(this.q, AT_MINIMUM); }
  get ratioMax(): number { return this.r.wideCell(this.q, RATIO_MAX, false); }
  get gcs(): number { return this.r.wideCell(this.q, GCS, false); }
  get heapSys(): number { return this.r.wideCell(this.q, HEAP_SYS, false); }
  get allocBytes(): number { return this.r.wideCell(this.q, ALLOC_BYTES, true); }
  get allocMs(): number { return this.r.wideCell(this.q, ALLOC_MS, true); }
  get rateSum(): number { return this.r.wideCell(this.q, RATE_SUM, true); }
  get rateSq(): number { return this.r.wideCell(this.q, RATE_SQ, true); }
  get memlimit(): number { return this.r.wideCell(this.q, MEMLIMIT, true); }
  get allocRate(): number { return allocRateOf(this.allocBytes, this.allocMs); }
  get rateVariance(): number { return rateVarianceOf(this.rateN, this.rateSum, this.rateSq); }
}
