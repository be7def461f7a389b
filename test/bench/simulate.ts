/**
 * A mechanistic 15 s model of a Go service's runtime, shared by the hand-made shapes
 * (scenarios.ts) and the randomized corpus (corpus.ts). Each step simulates the runtime, not a
 * curve: the live heap (base + in-flight data that follows traffic + the plan's components + slow
 * wander), GC cycles triggered by allocation against the GOGC or GOMEMLIMIT goal (and the
 * 2-minute forced GC), GC CPU and pauses (mark work grows with the live heap; the Go 1.19 limiter
 * caps GC at half the CPUs), HeapAlloc sampled at a random phase of the sawtooth, retained and
 * released spans, stacks, runtime metadata, RSS with noise, goroutines that follow traffic with
 * Poisson-like jitter, and process restarts that reset every cumulative counter.
 */
import type { ServiceConfig } from '../../src/config/schema.js';
import type { Metric } from '../../src/model/incident.js';
import type { Sample } from '../../src/model/sample.js';

export const MB = 1e6;
export const HOUR = 3_600_000;
export const STEP = 15_000;
export const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/** Bytes of live heap one CPU marks per second (Go marks a few hundred MB/s per core). */
export const MARK_BYTES_PER_CPU_SECOND = 400 * MB;
/** The GC CPU limiter (Go 1.19+) keeps GC under half of GOMAXPROCS. */
const GC_CPU_LIMIT = 0.5;

/** Deterministic PRNG (mulberry32) with normal draws. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  range(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  /** Log-uniform in [a, b]: every factor of 2 as likely as any other. */
  logRange(a: number, b: number): number {
    return a * Math.exp(Math.log(b / a) * this.next());
  }
  int(a: number, b: number): number {
    return Math.floor(this.range(a, b + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }
}

/** An AR(1) wander with stationary sd `sd` and correlation time `tauMs`. */
class Wander {
  x = 0;
  constructor(private readonly rng: Rng, private readonly sd: number, private readonly tauMs: number) {}
  step(): number {
    const a = Math.exp(-STEP / this.tauMs);
    this.x = a * this.x + this.sd * Math.sqrt(1 - a * a) * this.rng.normal();
    return this.x;
  }
}

/**
 * What a shape adds, as functions of hours since trace start (h), hours since process start (hl)
 * and the lifetime's index (0 before the first restart).
 */
export interface Plan {
  hours: number;
  baseHeap: number;
  gogc: number;
  gogcKnown: boolean;
  memlimit?: number;
  memlimitKnown?: boolean;
  /** Allocation rate at traffic 1, bytes/s. */
  allocRate: number;
  /** Daily traffic amplitude (0..0.8) and in-flight live heap at traffic 1 as a fraction of base. */
  dailyAmp: number;
  inflight: number;
  /** Restart times, hours since trace start. */
  restarts: number[];
  /** Traffic (mean about 1) replacing the daily sine of `dailyAmp`. */
  traffic?: (h: number) => number;
  /** Multiplies the allocation rate (batch jobs allocate more than their traffic says). */
  allocBoost?: (h: number) => number;
  /** Noise levels; unset ones keep the defaults. Heap and RSS as fractions of their level. */
  noise?: { heap?: number; heapTauMinutes?: number; rss?: number; traffic?: number };
  /** GOMAXPROCS, for GC CPU (default 4). */
  procs?: number;
  /**
   * Emit PauseTotalNs, GCCPUFraction and NumForcedGC. Off for the hand-made shapes, whose samples
   * (and the detector tests written against them) predate these fields.
   */
  gcStats?: boolean;
  heapExtra?: (h: number, hl: number, life: number) => number;
  goroutineExtra?: (h: number, hl: number, traffic: number, life: number) => number;
  nonGo?: (h: number, hl: number, life: number) => number;
  truth: Truth;
}

export interface Truth {
  /** The metric whose incident counts as catching the leak; undefined for negative shapes. */
  metric?: Metric;
  /** Leak onsets (hours since trace start); several when the leak restarts with the process. */
  onsets: number[];
  /** Metrics an incident may name without being a false alert. */
  allowed: Metric[];
}

/** The service configuration the bench and tests use: design defaults with relative thresholds. */
export function benchService(name = 'bench'): ServiceConfig {
  return {
    name, pprof: undefined, expvar: undefined, metrics: undefined, pid: undefined, pidFile: undefined, systemdUnit: undefined,
    gogc: undefined, headers: {}, schedule: '*/15 * * * * *', profileSchedule: '0 */5 * * * *', heapTextSchedule: '0 */5 * * * *', timeout: 5000,
    maxBodySize: 64 * MB, window: 6 * HOUR, warmup: 15 * 60_000,
    thresholds: {
      heapGrowth: { value: 0.5, unit: 'percent' },
      sysGrowth: { value: 1, unit: 'percent' },
      rssGrowth: { value: 1, unit: 'percent' },
      goroutineGrowth: { value: 60, unit: 'count' },
    },
    limits: {}, cooldown: HOUR, lastGasp: 30 * 60_000, attributionWait: 30_000, alert: [],
  };
}

/** A number in [0, 1) from the step's index, the same on every run. */
function unevenness(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

/** Runs the runtime model over a plan. */
export function simulate(plan: Plan, rng: Rng, start = T0): Sample[] {
  const out: Sample[] = [];
  const phase = rng.range(0, 24);
  const trafficNoise = new Wander(rng, plan.noise?.traffic ?? 0.08, 10 * 60_000);
  // Services differ in how much their live heap wanders: 0.05–0.3% of it, over 10–30 minutes.
  const heapSd = rng.range(0.0005, 0.003);
  const heapTau = rng.range(10, 30);
  const heapWander = new Wander(rng, plan.noise?.heap ?? heapSd, (plan.noise?.heapTauMinutes ?? heapTau) * 60_000);
  const rssWander = new Wander(rng, plan.noise?.rss ?? 0.004, 5 * 60_000);
  const procs = plan.procs ?? 4;
  const steps = Math.round((plan.hours * HOUR) / STEP);
  const restarts = [...plan.restarts].sort((a, b) => a - b);
  let lifeStart = start;
  let pid = 1000 + Math.floor(rng.range(0, 5000));
  let numGC = 0, numForcedGC = 0, totalAlloc = 0, sinceGC = 0, allocPhase = 0, heapSysMax = 0, sysMax = 0;
  let gcCpuSeconds = 0, pauseTotalNs = 0, lastGC = 0;
  let life = 0;
  for (let i = 0; i <= steps; i++) {
    const t = start + i * STEP;
    const h = (t - start) / HOUR;
    if (life < restarts.length && h >= restarts[life]) {
      life++;
      lifeStart = t - Math.floor(rng.range(1000, 5000));
      pid += 1 + Math.floor(rng.range(0, 50));
      numGC = 0; numForcedGC = 0; totalAlloc = 0; sinceGC = 0; allocPhase = 0; heapSysMax = 0; sysMax = 0;
      gcCpuSeconds = 0; pauseTotalNs = 0; lastGC = 0;
    }
    const hl = (t - lifeStart) / HOUR;
    const meanTraffic = plan.traffic ? plan.traffic(h) : 1 + plan.dailyAmp * Math.sin((2 * Math.PI * (h + phase)) / 24);
    const traffic = Math.max(0.05, meanTraffic + trafficNoise.step());
    // Start-up: the heap builds within the first minute of a lifetime.
    const startup = Math.min(1, 0.2 + hl * 60);
    const live = Math.max(
      MB,
      (plan.baseHeap * (1 + plan.inflight * traffic + heapWander.step()) + (plan.heapExtra?.(h, hl, life) ?? 0)) * startup,
    );
    const gor = Math.max(4, Math.round(20 + 60 * traffic + Math.sqrt(60 * traffic) * rng.normal() + (plan.goroutineExtra?.(h, hl, traffic, life) ?? 0)));
    const stacks = gor * 8192;
    const gogcGoal = live * (1 + plan.gogc / 100) + (stacks * plan.gogc) / 100;
    const runtimeOverhead = 0.06 * heapSysMax + stacks + 4 * MB;
    const goal = plan.memlimit ? Math.max(live * 1.02, Math.min(gogcGoal, plan.memlimit - runtimeOverhead)) : gogcGoal;
    const cycle = goal - live;
    const allocated = plan.allocRate * traffic * (plan.allocBoost?.(h) ?? 1) * (STEP / 1000) * Math.max(0.2, 1 + 0.2 * rng.normal());
    totalAlloc += allocated;
    allocPhase += allocated;
    sinceGC += STEP;
    let cycles = 0;
    if (allocPhase >= cycle) {
      cycles = Math.floor(allocPhase / cycle);
      allocPhase %= cycle;
      sinceGC = 0;
    } else if (sinceGC >= 120_000) {
      // Go forces a GC when none ran for two minutes; it happened somewhere in this step.
      cycles = 1;
      numForcedGC++;
      allocPhase = allocated * rng.next();
      sinceGC = 0;
    }
    if (cycles > 0) {
      // Each cycle marks the live heap and stacks; the limiter caps GC CPU, so a heap pressed
      // against GOMEMLIMIT runs fewer cycles than its allocation asks for.
      const perCycle = (live + stacks) / MARK_BYTES_PER_CPU_SECOND + 50e-6;
      cycles = Math.max(1, Math.min(cycles, Math.floor((GC_CPU_LIMIT * procs * STEP) / 1000 / perCycle)));
      numGC += cycles;
      gcCpuSeconds += cycles * perCycle;
      // Two stop-the-world phases per cycle; the longer with more goroutine stacks to scan roots of.
      pauseTotalNs += cycles * Math.round(60_000 + 20 * gor);
      // The last cycle ended as long before the scrape as its remainder took to allocate, give or
      // take 10 %: allocation within a step is not even. (The recorded steady allocators, leak,
      // cacheleak, cachefill and restarts, read every 15th second, put HeapAlloc less the time since
      // LastGC at the slower of two intervals' rates within −4 … +2 % of the GOGC goal's live heap.
      // What the detector gains from LastGC in the corpus follows from this model.)
      // No draw from rng: every other field of every trace stays as it was.
      lastGC = t - STEP * Math.min(1, (allocPhase / allocated) * (1 + 0.2 * (unevenness(i) - 0.5)));
    }
    const heapAlloc = live + allocPhase;
    const heapInuse = heapAlloc * 1.04 + MB;
    heapSysMax = Math.max(heapSysMax, goal * 1.12 + 4 * MB);
    const heapIdle = heapSysMax - heapInuse;
    // The scavenger keeps about 10% above the goal resident and returns the rest.
    const retained = Math.min(heapSysMax, goal * 1.1);
    const heapReleased = Math.max(0, Math.min(heapIdle, heapSysMax - retained));
    const meta = 0.05 * heapSysMax + 3 * MB;
    sysMax = Math.max(sysMax, heapSysMax + stacks + meta);
    const nonGo = plan.nonGo?.(h, hl, life) ?? 0;
    const rss = (retained * 0.92 + stacks + meta + 7 * MB + nonGo) * (1 + rssWander.step());
    const uptimeSeconds = Math.max(1, (t - lifeStart) / 1000);
    const s: Sample = {
      t, heapAlloc: Math.round(heapAlloc), heapInuse: Math.round(heapInuse), heapIdle: Math.round(heapIdle),
      heapReleased: Math.round(heapReleased), heapSys: Math.round(heapSysMax), sys: Math.round(sysMax),
      stackInuse: stacks, stackSys: stacks, nextGC: Math.round(goal), lastGC: lastGC * 1e6, numGC, totalAlloc: Math.round(totalAlloc),
      goroutines: gor, rss: Math.round(rss), processStart: lifeStart, pid,
    };
    if (plan.gcStats) {
      s.numForcedGC = numForcedGC;
      s.pauseTotalNs = pauseTotalNs;
      s.gcCPUFraction = Math.min(1, gcCpuSeconds / (procs * uptimeSeconds));
    }
    if (plan.gogcKnown) s.gogc = plan.gogc;
    if (plan.memlimit && plan.memlimitKnown) s.gomemlimit = plan.memlimit;
    out.push(s);
  }
  return out;
}
