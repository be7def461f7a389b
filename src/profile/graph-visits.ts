/**
 * The graph's input: every weighted sample as a run of node visits, root to leaf, in flat typed
 * arrays. The profiles' objects are walked once here; every pass after it (graph.ts,
 * graph-edges.ts) runs over contiguous memory.
 *
 * flat, cum and the edges are all sums over samples of per-sample contributions, so samples with
 * the same stack can be walked once with their summed weight. A profile that still has its
 * sample columns (columns.ts) is walked that way: one run per distinct stack, without building
 * sample objects. A stack is walked when any of its samples has a non-zero value, even when the
 * values cancel, exactly like its samples would have been.
 */
import { sampleColumns, type SampleColumns } from './columns.js';
import { NodeTable, visitCodes } from './graph-nodes.js';
import type { Location, Profile } from './model.js';

/** One profile's samples at one sample index, weighted by sign (-1 for a diff base). */
export interface WeightedSamples {
  profile: Profile;
  index: number;
  sign: 1 | -1;
}

export interface Visits {
  /** node id * 2, plus 1 when the node is its location's outermost line (a real, non-inline call). */
  visit: Int32Array;
  /** Run k's visits are visit[start[k]] .. visit[start[k + 1] - 1]. */
  start: Int32Array;
  weight: Float64Array;
  count: number;
}

/** Visit codes of a set of locations, flat: location i's are codes[start[i]] .. codes[start[i + 1] - 1]. */
interface LocationCodes {
  start: Int32Array;
  codes: Int32Array;
  /** The most codes of any one location. */
  widest: number;
}

function codesOf(table: NodeTable, locations: (Location | undefined)[]): LocationCodes {
  const per = locations.map((loc) => (loc === undefined ? [] : visitCodes(table.nodesOf(loc))));
  const start = new Int32Array(per.length + 1);
  let total = 0;
  let widest = 0;
  per.forEach((c, i) => {
    start[i] = total;
    total += c.length;
    widest = Math.max(widest, c.length);
  });
  start[per.length] = total;
  const codes = new Int32Array(total);
  per.forEach((c, i) => codes.set(c, start[i]));
  return { start, codes, widest };
}

/** Appends runs of visits, growing the visit array as needed. */
class VisitWriter {
  visit: Int32Array;
  readonly start: Int32Array;
  readonly weight: Float64Array;
  count = 0;
  /** Visits written so far. */
  at = 0;

  constructor(maxRuns: number) {
    this.visit = new Int32Array(Math.max(1024, maxRuns * 12));
    this.start = new Int32Array(maxRuns + 1);
    this.weight = new Float64Array(maxRuns);
  }

  begin(weight: number): void {
    this.start[this.count] = this.at;
    this.weight[this.count++] = weight;
  }

  /** The visit array, with room for n more visits after `at`. */
  reserve(n: number): Int32Array {
    if (this.at + n > this.visit.length) {
      const bigger = new Int32Array(Math.max(2 * this.visit.length, this.at + n));
      bigger.set(this.visit.subarray(0, this.at));
      this.visit = bigger;
    }
    return this.visit;
  }

  /** Appends codes[from .. to). */
  add(codes: Int32Array | number[], from: number, to: number): void {
    const visit = this.reserve(to - from);
    let at = this.at;
    for (let k = from; k < to; k++) visit[at++] = codes[k];
    this.at = at;
  }

  done(): Visits {
    this.start[this.count] = this.at;
    return { visit: this.visit, start: this.start, weight: this.weight, count: this.count };
  }
}

/** Runs of one profile kept as columns: one per distinct stack with a non-zero value. */
function stackRuns(out: VisitWriter, table: NodeTable, src: WeightedSamples, cols: SampleColumns): void {
  const { count, nTypes, values, stackOf, stackStart, stackLocs } = cols;
  const sum = new Float64Array(cols.stackCount);
  const walked = new Uint8Array(cols.stackCount);
  for (let k = 0; k < count; k++) {
    const v = values[k * nTypes + src.index];
    if (!v) continue;
    const s = stackOf[k];
    sum[s] += v;
    walked[s] = 1;
  }
  const { start, codes, widest } = codesOf(table, src.profile.locations);
  // The hot loop: one run per stack, written straight into the visit array.
  const { start: runStart, weight } = out;
  let visit = out.visit;
  let at = out.at;
  let run = out.count;
  for (let s = 0; s < cols.stackCount; s++) {
    if (walked[s] === 0) continue;
    const first = stackStart[s];
    const last = stackStart[s + 1] - 1;
    if (at + (last - first + 1) * widest > visit.length) {
      out.at = at;
      visit = out.reserve((last - first + 1) * widest);
    }
    runStart[run] = at;
    weight[run++] = src.sign * sum[s];
    for (let i = last; i >= first; i--) {
      const loc = stackLocs[i];
      const to = start[loc + 1];
      for (let k = start[loc]; k < to; k++) visit[at++] = codes[k];
    }
  }
  out.at = at;
  out.count = run;
}

/** Runs of a profile's sample objects, one per sample with a non-zero value. */
function sampleRuns(out: VisitWriter, table: NodeTable, src: WeightedSamples): void {
  const p = src.profile;
  // Listed locations by id, so a sample's location is checked to really be the listed one.
  const limit = 4 * p.locations.length + 1024;
  const listed: Location[] = [];
  for (const l of p.locations) {
    if (Number.isSafeInteger(l.id) && l.id >= 0 && l.id <= limit && listed[l.id] === undefined) listed[l.id] = l;
  }
  const { start, codes } = codesOf(table, Array.from(listed));
  const { index, sign } = src;
  for (const sample of p.samples) {
    const v = sample.values[index];
    if (!v) continue;
    out.begin(sign * v);
    const locs = sample.locations;
    for (let i = locs.length - 1; i >= 0; i--) {
      const loc = locs[i];
      const id = loc.id;
      if (listed[id] === loc) out.add(codes, start[id], start[id + 1]);
      else {
        // A location the profile does not list is interned on first use.
        const c = visitCodes(table.nodesOfUnlisted(loc));
        out.add(c, 0, c.length);
      }
    }
  }
}

export function collectVisits(table: NodeTable, sources: WeightedSamples[]): Visits {
  const cols = sources.map((s) => sampleColumns(s.profile));
  let runs = 0;
  sources.forEach((s, i) => (runs += cols[i]?.stackCount ?? s.profile.samples.length));
  const out = new VisitWriter(runs);
  sources.forEach((src, i) => {
    const c = cols[i];
    if (c !== undefined) stackRuns(out, table, src, c);
    else sampleRuns(out, table, src);
  });
  return out.done();
}
