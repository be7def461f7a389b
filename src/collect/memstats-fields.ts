/** runtime.MemStats field names (as expvar and heap?debug=1 spell them) and the Sample field each fills. */
import type { Sample } from '../model/sample.js';

export type NumericKey = Exclude<keyof Sample, 't' | 'restart'>;

export const MEMSTATS_FIELDS: Readonly<Record<string, NumericKey>> = {
  Alloc: 'heapAlloc',
  TotalAlloc: 'totalAlloc',
  Sys: 'sys',
  Mallocs: 'mallocs',
  Frees: 'frees',
  HeapAlloc: 'heapAlloc',
  HeapSys: 'heapSys',
  HeapIdle: 'heapIdle',
  HeapInuse: 'heapInuse',
  HeapReleased: 'heapReleased',
  HeapObjects: 'heapObjects',
  StackInuse: 'stackInuse',
  StackSys: 'stackSys',
  MSpanInuse: 'mspanInuse',
  MSpanSys: 'mspanSys',
  MCacheInuse: 'mcacheInuse',
  MCacheSys: 'mcacheSys',
  BuckHashSys: 'buckHashSys',
  GCSys: 'gcSys',
  OtherSys: 'otherSys',
  NextGC: 'nextGC',
  LastGC: 'lastGC',
  PauseTotalNs: 'pauseTotalNs',
  NumGC: 'numGC',
  NumForcedGC: 'numForcedGC',
  GCCPUFraction: 'gcCPUFraction',
};
