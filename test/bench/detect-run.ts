/**
 * One trace of `bench:detect`, as run in a worker thread: generate (or load) it, replay it
 * through leakwatch's detector and the peer rules, and return plain data the main thread scores.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { replay } from '../../src/analyze/replay.js';
import type { Metric } from '../../src/model/incident.js';
import { corpusTrace, type CorpusTrace, type CorpusTruth, type Kind } from './corpus.js';
import { PEERS } from './peers.js';
import { recordedTrace } from './recorded.js';

export type Job = { cls: string; seed: number } | { recorded: string };

/** An incident as the scorer sees it: Unix ms, `until` null while still open at the end. */
export interface Opened {
  metric: Metric;
  at: number;
  until: number | null;
}

export interface TraceResult {
  id: string;
  cls: string;
  kind: Kind;
  hours: number;
  days: number;
  /** Time of the first sample, Unix ms (onsets and restarts are hours after it). */
  start: number;
  truth: CorpusTruth;
  params: Record<string, string | number>;
  samples: number;
  /** CPU time of leakwatch's replay alone, in this thread (wall time where Linux cannot tell). */
  replayMs: number;
  replayClock: 'thread-cpu' | 'wall';
  /** Incidents per rule: leakwatch first, then PEERS in order. */
  rules: Opened[][];
}

export function loadTrace(job: Job): CorpusTrace {
  return 'recorded' in job ? recordedTrace(job.recorded) : corpusTrace(job.cls, job.seed);
}

/**
 * CPU time of the calling thread in ms, from Linux's /proc/thread-self/stat (utime + stime, in
 * 100 Hz ticks): process.cpuUsage() counts every thread, and the bench runs several.
 */
function threadCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export function runJob(job: Job): TraceResult {
  const tr = loadTrace(job);
  const cpu0 = threadCpuMs();
  const t0 = performance.now();
  const result = replay(tr.samples, tr.service);
  const wall = performance.now() - t0;
  const cpu1 = threadCpuMs();
  const onCpu = cpu0 !== undefined && cpu1 !== undefined;
  const ours: Opened[] = result.incidents.map((i) => ({
    metric: i.metric, at: Date.parse(i.openedAt), until: i.resolvedAt === null ? null : Date.parse(i.resolvedAt),
  }));
  const peers = PEERS.map((p) => p.run(tr).map((o): Opened => ({ metric: o.metric, at: o.at, until: o.until ?? null })));
  return {
    id: 'recorded' in job ? tr.shape : `${tr.shape}:${tr.seed}`, cls: tr.shape, kind: tr.kind, hours: tr.hours, days: tr.days,
    start: tr.samples[0].t, truth: tr.truth, params: tr.params, samples: tr.samples.length, replayMs: onCpu ? cpu1 - cpu0 : wall, replayClock: onCpu ? 'thread-cpu' : 'wall', rules: [ours, ...peers],
  };
}
