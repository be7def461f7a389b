/**
 * Which functions grew between two heap profiles, for incidents and alerts: the per-function
 * flat deltas `go tool pprof -top -diff_base` computes for inuse_space and inuse_objects.
 */
import type { GrowthFunction } from '../model/incident.js';
import type { Profile } from './model.js';
import { topReport } from './top.js';

/** Attribution of both kinds from one module: heap growth here, goroutine growth in goroutines.ts. */
export { goroutineGrowth } from './goroutines.js';

/**
 * The n functions whose in-use memory grew most (deltaBytes = flat, cumBytes = cum of
 * inuse_space; deltaObjects = flat of inuse_objects). Growth comes first, largest first; after
 * it, the largest shrinks. share = deltaBytes / net growth, omitted when the heap did not grow.
 */
export function topGrowth(base: Profile, next: Profile, n = 10): GrowthFunction[] {
  const space = topReport(next, { base, sampleIndex: 'inuse_space' });
  const objects = topReport(next, { base, sampleIndex: 'inuse_objects' });
  const objectsByName = new Map(objects.allRows.map((r) => [r.function, r.flat]));
  const net = space.allRows.reduce((s, r) => s + r.flat, 0);

  const rows: GrowthFunction[] = [];
  const seen = new Set<string>();
  for (const r of space.allRows) {
    seen.add(r.function);
    const deltaObjects = objectsByName.get(r.function) ?? 0;
    if (r.flat === 0 && deltaObjects === 0) continue;
    rows.push(growth(r.function, r.flat, deltaObjects, r.cum, net));
  }
  // Functions whose object count changed while their bytes cancelled out entirely.
  for (const r of objects.allRows) {
    if (!seen.has(r.function) && r.flat !== 0) rows.push(growth(r.function, 0, r.flat, 0, net));
  }
  rows.sort(
    (a, b) =>
      rank(b.deltaBytes) - rank(a.deltaBytes) ||
      Math.abs(b.deltaBytes) - Math.abs(a.deltaBytes) ||
      b.deltaObjects - a.deltaObjects ||
      (a.function < b.function ? -1 : a.function > b.function ? 1 : 0),
  );
  return rows.slice(0, n);
}

/** Growth before everything else. */
function rank(deltaBytes: number): number {
  return deltaBytes > 0 ? 1 : 0;
}

function growth(fn: string, deltaBytes: number, deltaObjects: number, cumBytes: number, net: number): GrowthFunction {
  const g: GrowthFunction = { function: fn, deltaBytes, deltaObjects, cumBytes };
  if (net > 0) g.share = deltaBytes / net;
  return g;
}
