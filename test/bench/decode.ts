/**
 * Decode throughput, in MB/s of decompressed profile.proto, for the recorded Go profiles and for
 * a synthetic heap profile of 100,000+ samples (the size of a big, long-running service).
 * Run: npm run bench:build && node .bench/test/bench/decode.js
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeProfile } from '../../src/profile/decode.js';
import { encodeProfile } from '../../src/profile/encode.js';
import { ungzipCapped } from '../../src/profile/gzip.js';
import type { Location, Mapping, Profile, ProfileFunction } from '../../src/profile/model.js';
import { ROOT } from './paths.js';

const FIXTURES = join(ROOT, 'test/fixtures/pprof');

/** Go's /debug/pprof/heap sample types, in the order the runtime writes them. */
const HEAP_SAMPLE_TYPES = ['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes'];

/** A heap profile with the header the Go runtime writes (space/bytes period, 512 KiB rate) around `body`. */
export function heapProfile(body: Pick<Profile, 'mappings' | 'locations' | 'functions' | 'samples'> & Partial<Profile>): Profile {
  return {
    sampleTypes: HEAP_SAMPLE_TYPES.map((t) => {
      const [type, unit] = t.split('/');
      return { type: type!, unit: unit! };
    }),
    defaultSampleType: '',
    periodType: { type: 'space', unit: 'bytes' },
    period: 524288,
    timeNanos: 1795686235061474647n,
    durationNanos: 0,
    comments: [],
    dropFrames: '',
    keepFrames: '',
    ...body,
  };
}

/** Deterministic heap profile: `samples` stacks of depth 8–40 over a shared pool of frames. */
export function syntheticHeapProfile(samples: number, seed = 1): Profile {
  let s = seed >>> 0;
  const rand = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
  const mapping: Mapping = { id: 1, start: 0x400000, limit: 0x2000000, offset: 0, file: '/usr/local/bin/svc', buildId: '', hasFunctions: true };
  const functions: ProfileFunction[] = Array.from({ length: 5000 }, (_, i) => ({
    id: i + 1,
    name: `github.com/example/svc/pkg${i % 97}.(*Type${i % 13}).Method${i}`,
    systemName: `github.com/example/svc/pkg${i % 97}.(*Type${i % 13}).Method${i}`,
    filename: `/src/github.com/example/svc/pkg${i % 97}/file${i % 7}.go`,
    startLine: 10 + (i % 500),
  }));
  const locations: Location[] = Array.from({ length: 20000 }, (_, i) => ({
    id: i + 1,
    mapping,
    address: 0x401000 + i * 24,
    lines: Array.from({ length: i % 5 === 0 ? 2 : 1 }, (_, j) => ({ function: functions[(i + j * 7) % functions.length], line: 20 + (i % 300) })),
    isFolded: false,
  }));
  const out: Profile['samples'] = [];
  for (let i = 0; i < samples; i++) {
    const depth = 8 + rand(33);
    const locs = Array.from({ length: depth }, () => locations[rand(locations.length)]);
    const objects = 1 + rand(5000);
    const size = 16 << rand(10);
    out.push({ locations: locs, values: [objects, objects * size, objects >> 1, (objects >> 1) * size], labels: [{ key: 'bytes', num: size }] });
  }
  return heapProfile({ mappings: [mapping], locations, functions, samples: out });
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Median wall and CPU ms per call, after warm-up, over at least minMs. CPU time is reported too
 * because benchmarks often share the machine; it is what one core would need when idle.
 */
function timeIt(fn: () => unknown, minMs: number): { wall: number; cpu: number } {
  // Warm up (JIT) for a fifth of the budget, at least 3 calls.
  const warm = performance.now();
  for (let i = 0; i < 3 || performance.now() - warm < minMs / 5; i++) fn();
  const walls: number[] = [];
  const cpus: number[] = [];
  const start = performance.now();
  while (walls.length < 5 || performance.now() - start < minMs) {
    const w = performance.now();
    const c = cpuMs();
    fn();
    cpus.push(cpuMs() - c);
    walls.push(performance.now() - w);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return { wall: median(walls), cpu: median(cpus) };
}

interface Row {
  name: string;
  samples: number;
  gz: number;
  proto: number;
  decode: { wall: number; cpu: number };
  full: { wall: number; cpu: number };
}

function measure(name: string, gz: Uint8Array): Row {
  const proto = ungzipCapped(gz, 1 << 30);
  const samples = decodeProfile(proto).samples.length;
  const small = proto.length < 1 << 20;
  return {
    name,
    samples,
    gz: gz.length,
    proto: proto.length,
    decode: timeIt(() => decodeProfile(proto), small ? 200 : 2000),
    full: timeIt(() => decodeProfile(gz), small ? 200 : 2000),
  };
}

function table(rows: Row[]): string {
  const mbps = (bytes: number, ms: number) => (ms > 0 ? (bytes / 1e6 / (ms / 1000)).toFixed(1) : 'inf');
  const head = ['profile', 'samples', 'gzip B', 'proto B', 'decode ms', 'MB/s wall', 'MB/s cpu', 'gunzip+decode MB/s wall', 'cpu'];
  const body = rows.map((r) => [
    r.name, String(r.samples), String(r.gz), String(r.proto), r.decode.wall.toFixed(3),
    mbps(r.proto, r.decode.wall), mbps(r.proto, r.decode.cpu), mbps(r.proto, r.full.wall), mbps(r.proto, r.full.cpu),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    `decode throughput, MB/s of decompressed profile.proto on one core (goal >= 40); median per call; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`,
    line(head),
    ...body.map(line),
  ].join('\n');
}

/** Runs the decode benchmark; returns the table (printed only when this file is run directly). */
export async function runDecodeBench(): Promise<string> {
  const rows: Row[] = [];
  for (const v of ['out119', 'out123']) {
    for (const f of ['new', 'base_allocs', 'goroutine']) {
      const path = join(FIXTURES, v, `${f}.pb.gz`);
      if (existsSync(path)) rows.push(measure(`${v}/${f}`, readFileSync(path)));
    }
  }
  for (const n of [10_000, 100_000]) {
    rows.push(measure(`synthetic ${n / 1000}k samples`, encodeProfile(syntheticHeapProfile(n))));
  }
  return table(rows);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await runDecodeBench());
}
