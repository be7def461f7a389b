/**
 * Profiles captured live from the real Go target (Go installed here), decoded by us and read by
 * `go tool pprof`: both must see the same samples, and our re-encoding must print the same -top.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProfile } from '../../src/profile/decode.js';
import { encodeProfile } from '../../src/profile/encode.js';
import { sampleTotals } from '../../src/profile/totals.js';
import { goAvailable, goPprof, startTarget, type RunningTarget } from '../helpers/go.js';
import { absTotals, parseRaw, pprofTotals, viewOf } from '../helpers/pprof-raw.js';

const ENDPOINTS = [
  { name: 'heap', path: '/debug/pprof/heap' },
  { name: 'heap-gc', path: '/debug/pprof/heap?gc=1' },
  { name: 'allocs', path: '/debug/pprof/allocs' },
  { name: 'goroutine', path: '/debug/pprof/goroutine' },
  { name: 'heap-delta', path: '/debug/pprof/heap?seconds=1' },
];

describe.skipIf(!goAvailable())('decoding profiles captured live from a leaking Go service', () => {
  let target: RunningTarget;
  const dir = mkdtempSync(join(tmpdir(), 'leakwatch-live-'));
  const files = new Map<string, string>();

  beforeAll(async () => {
    // Record every allocation so the leak shows up in the first second.
    target = await startTarget(['-mode', 'leak', '-rate', '4000000', '-memprofilerate', '1']);
    await new Promise((ok) => setTimeout(ok, 1500));
    for (const e of ENDPOINTS) {
      const res = await fetch(target.base + e.path, { signal: AbortSignal.timeout(15_000) });
      expect(res.status).toBe(200);
      const file = join(dir, `${e.name}.pb.gz`);
      writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
      files.set(e.name, file);
    }
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(ENDPOINTS)('$name: totals and samples equal what `go tool pprof -raw` reads', ({ name }) => {
    const file = files.get(name)!;
    const p = decodeProfile(readFileSync(file));
    const raw = parseRaw(goPprof(['-raw', file]));
    expect(absTotals(p)).toEqual(pprofTotals(file, p.sampleTypes.length));
    // Delta profiles carry negative values; the signed sums must match pprof's samples too.
    const rawSums = p.sampleTypes.map((_, i) => [...raw.samples.values()].reduce((a, v) => a + v[i], 0));
    const stackless = p.samples.filter((s) => s.locations.length === 0);
    expect(sampleTotals(p)).toEqual(rawSums.map((v, i) => v + stackless.reduce((a, s) => a + s.values[i], 0)));
    expect(viewOf(p).samples).toEqual(raw.samples);
    expect(p.timeNanos).toBe(raw.timeNanos);
  });

  it.each(ENDPOINTS)('$name: our re-encoding prints the same `go tool pprof -top`', ({ name }) => {
    const file = files.get(name)!;
    const out = join(dir, `${name}.reencoded.pb.gz`);
    writeFileSync(out, encodeProfile(decodeProfile(readFileSync(file))));
    expect(goPprof(['-top', out])).toBe(goPprof(['-top', file]));
  });

  it('the leaking function is in the live heap profile', () => {
    const p = decodeProfile(readFileSync(files.get('heap-gc')!));
    const names = new Set(p.samples.flatMap((s) => s.locations.flatMap((l) => l.lines.map((ln) => ln.function.name))));
    expect(names).toContain('main.(*sessionStore).remember');
  });
});
