/**
 * One observation of one service at one time: the shared value type every stage speaks.
 * Field names follow Go's runtime.MemStats (camelCased) and the trace format of design §3.
 * Every field but `t` is optional: each source fills what it can.
 */
export interface Sample {
  /** Unix milliseconds. */
  t: number;
  heapAlloc?: number;
  heapInuse?: number;
  heapIdle?: number;
  heapReleased?: number;
  heapSys?: number;
  heapObjects?: number;
  sys?: number;
  stackInuse?: number;
  stackSys?: number;
  mspanInuse?: number;
  mspanSys?: number;
  mcacheInuse?: number;
  mcacheSys?: number;
  buckHashSys?: number;
  gcSys?: number;
  otherSys?: number;
  nextGC?: number;
  lastGC?: number;
  numGC?: number;
  numForcedGC?: number;
  totalAlloc?: number;
  mallocs?: number;
  frees?: number;
  pauseTotalNs?: number;
  gcCPUFraction?: number;
  goroutines?: number;
  /** Resident set size in bytes (from /proc or process_resident_memory_bytes). */
  rss?: number;
  /** Process start, Unix milliseconds; a change means a new process. */
  processStart?: number;
  pid?: number;
  /** GOGC percent when the target exposes it (Prometheus go_gc_gogc_percent). */
  gogc?: number;
  /** GOMEMLIMIT in bytes when exposed. */
  gomemlimit?: number;
  /** True when the collector saw a restart between this sample and the previous one. */
  restart?: boolean;
}

/** Names of the numeric Sample fields, in a stable order (storage columns, trace lines). */
export const SAMPLE_FIELDS = [
  'heapAlloc', 'heapInuse', 'heapIdle', 'heapReleased', 'heapSys', 'heapObjects', 'sys',
  'stackInuse', 'stackSys', 'mspanInuse', 'mspanSys', 'mcacheInuse', 'mcacheSys', 'buckHashSys',
  'gcSys', 'otherSys', 'nextGC', 'lastGC', 'numGC', 'numForcedGC', 'totalAlloc', 'mallocs', 'frees',
  'pauseTotalNs', 'gcCPUFraction', 'goroutines', 'rss', 'processStart', 'pid', 'gogc', 'gomemlimit',
] as const satisfies readonly (keyof Sample)[];

export type SampleField = (typeof SAMPLE_FIELDS)[number];

/**
 * An empty sample with every field present (undefined until observed). Filling a bare `{ t }`
 * field by field through computed keys turns it into a hash table in V8 (~1.6 KB of properties
 * per sample); one fixed shape keeps a sample at a few hundred bytes, and the daemon holds a whole
 * window of them per service.
 */
export function emptySample(t: number): Sample {
  // `satisfies` lists every key of Sample: a field added to Sample and forgotten here does not compile.
  return {
    t, heapAlloc: undefined, heapInuse: undefined, heapIdle: undefined, heapReleased: undefined,
    heapSys: undefined, heapObjects: undefined, sys: undefined, stackInuse: undefined, stackSys: undefined,
    mspanInuse: undefined, mspanSys: undefined, mcacheInuse: undefined, mcacheSys: undefined,
    buckHashSys: undefined, gcSys: undefined, otherSys: undefined, nextGC: undefined, lastGC: undefined,
    numGC: undefined, numForcedGC: undefined, totalAlloc: undefined, mallocs: undefined, frees: undefined,
    pauseTotalNs: undefined, gcCPUFraction: undefined, goroutines: undefined, rss: undefined,
    processStart: undefined, pid: undefined, gogc: undefined, gomemlimit: undefined, restart: undefined,
  } satisfies Record<keyof Sample, unknown>;
}

/** Kinds of profile leakwatch captures and stores. */
export type ProfileKind = 'heap' | 'goroutine' | 'allocs';
