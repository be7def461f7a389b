/**
 * The function-granularity call graph of `go tool pprof` (internal/graph newGraph, report
 * newTrimmedGraph), reduced to what `-top` prints: per-function flat and cum, node trimming by
 * cum, the FlatNameOrder sort and the inline suffix from the surviving incoming edges.
 *
 * flat and cum are linear in the sample weight, so a diff can feed the samples of NEW with
 * weight +v and those of BASE with weight -v through the same walk. Only the inline suffix can
 * tell a merged profile apart (a cancelled sample no longer votes); top.ts merges when it must.
 */
import type { Location, Profile } from './model.js';

export type InlineLabel = '' | 'inline' | 'partial-inline';

export interface GraphNode {
  /** Printable name: the function name, `[objfile]` or `<unknown>`. */
  name: string;
  flat: number;
  cum: number;
  inline: InlineLabel;
}

/** One profile's samples at one sample index, weighted by sign (-1 for a diff base). */
export interface WeightedSamples {
  profile: Profile;
  index: number;
  sign: 1 | -1;
}

export interface TrimmedGraph {
  /** Σ flat over the untrimmed graph: the NET sum for diffs; the cutoffs derive from it. */
  totalValue: number;
  nodeCutoff: number;
  edgeCutoff: number;
  droppedNodes: number;
  /** Kept nodes in -top order. */
  nodes: GraphNode[];
  /** Every node of the untrimmed graph in -top order. */
  allNodes: GraphNode[];
}

export const NODE_FRACTION = 0.005;
export const EDGE_FRACTION = 0.001;

function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/**
 * Interns pprof NodeInfo identities. After Aggregate(functions), a named function's node is its
 * name; an unnamed one is (objfile, start line); a location without lines is (objfile).
 */
class NodeTable {
  readonly names: string[] = [];
  /** fmt.Sprint(NodeInfo), the last sort tie-break (only differs between unnamed nodes). */
  readonly infos: string[] = [];
  /** Node appears as an inlined (not outermost) line somewhere: only such nodes can get a suffix. */
  readonly inlinable: boolean[] = [];
  private readonly ids = new Map<string, number>();
  private readonly byLocation = new Map<Location, number[]>();

  private intern(key: string, name: string, info: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(key, id);
      this.names.push(name);
      this.infos.push(info);
      this.inlinable.push(false);
    }
    return id;
  }

  private unnamed(loc: Location, startLine: number): number {
    const objfile = loc.mapping?.file ?? '';
    return this.intern(`\0${startLine}\0${objfile}`, unnamedName(loc), `{  0  ${startLine} 0 ${objfile}}`);
  }

  /** Node ids of a location's lines, line[0] (innermost) first. */
  nodesOf(loc: Location): number[] {
    const lines = loc.lines;
    if (lines.length === 0) return [this.unnamed(loc, 0)];
    const nodes = new Array<number>(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const fn = lines[i].function;
      nodes[i] = fn && fn.name !== '' ? this.intern(fn.name, fn.name, `{${fn.name}  0  0 0 }`) : this.unnamed(loc, fn?.startLine ?? 0);
      if (i < lines.length - 1) this.inlinable[nodes[i]] = true;
    }
    return nodes;
  }

  /** nodesOf, remembered per location object: for locations a profile does not list. */
  nodesOfUnlisted(loc: Location): number[] {
    let nodes = this.byLocation.get(loc);
    if (nodes === undefined) {
      nodes = this.nodesOf(loc);
      this.byLocation.set(loc, nodes);
    }
    return nodes;
  }
}

/** How pprof prints a frame without a function name: the mapped file's base name. */
function unnamedName(loc: Location): string {
  const objfile = loc.mapping?.file ?? '';
  return objfile !== '' ? `[${baseName(objfile)}]` : '<unknown>';
}

/** Printable frame names of a location, innermost first (as the graph names its nodes). */
export function locationNames(loc: Location): string[] {
  if (loc.lines.length === 0) return [unnamedName(loc)];
  return loc.lines.map((l) => (l.function && l.function.name !== '' ? l.function.name : unnamedName(loc)));
}

/** A location's visit codes in walk order (outer line first): node id * 2, + 1 on the outer line. */
function visitCodes(nodes: number[]): number[] {
  const codes = new Array<number>(nodes.length);
  for (let i = 0; i < nodes.length; i++) codes[i] = nodes[nodes.length - 1 - i] * 2 + (i === 0 ? 1 : 0);
  return codes;
}

/**
 * Visit codes of every listed location of one profile, flat and indexed by location id, so the
 * sample walk touches one typed array instead of an object per frame.
 */
interface LocationIndex {
  /** By id, to check a sample's location really is the listed one. */
  locations: Location[];
  /** Location id i's codes are codes[start[i]] .. codes[start[i + 1] - 1]. */
  start: Int32Array;
  codes: Int32Array;
}

function indexLocations(table: NodeTable, p: Profile): LocationIndex {
  const limit = 4 * p.locations.length + 1024;
  const listed = p.locations.filter((l) => Number.isSafeInteger(l.id) && l.id >= 0 && l.id <= limit);
  const maxId = listed.reduce((m, l) => Math.max(m, l.id), 0);
  const perId: number[][] = [];
  const locations: Location[] = [];
  let total = 0;
  for (const loc of listed) {
    if (locations[loc.id] !== undefined) continue;
    locations[loc.id] = loc;
    perId[loc.id] = visitCodes(table.nodesOf(loc));
    total += perId[loc.id].length;
  }
  const start = new Int32Array(maxId + 2);
  const codes = new Int32Array(total);
  let at = 0;
  for (let id = 0; id <= maxId; id++) {
    start[id] = at;
    const c = perId[id];
    if (c !== undefined) for (const x of c) codes[at++] = x;
  }
  start[maxId + 1] = at;
  return { locations, start, codes };
}

/**
 * Every weighted sample as a run of node visits, root to leaf, in flat typed arrays: the object
 * graph is walked once, and the passes after it run over contiguous memory.
 */
interface Visits {
  /** node id * 2, plus 1 when the node is its location's outermost line (a real, non-inline call). */
  visit: Int32Array;
  /** Sample k's visits are visit[start[k]] .. visit[start[k + 1] - 1]. */
  start: Int32Array;
  weight: Float64Array;
  count: number;
}

function collectVisits(table: NodeTable, sources: WeightedSamples[]): Visits {
  let nSamples = 0;
  for (const { profile } of sources) nSamples += profile.samples.length;
  let visit: Int32Array = new Int32Array(Math.max(1024, nSamples * 12));
  const start = new Int32Array(nSamples + 1);
  const weight = new Float64Array(nSamples);
  let count = 0;
  let at = 0;
  for (const src of sources) {
    const { locations: indexed, start: locStart, codes } = indexLocations(table, src.profile);
    const { index, sign } = src;
    for (const sample of src.profile.samples) {
      const v = sample.values[index];
      if (!v) continue;
      start[count] = at;
      weight[count++] = sign * v;
      const locs = sample.locations;
      for (let i = locs.length - 1; i >= 0; i--) {
        const loc = locs[i];
        const id = loc.id;
        if (indexed[id] === loc) {
          const from = locStart[id];
          const to = locStart[id + 1];
          if (at + to - from > visit.length) visit = resized(visit, visit.length * 2);
          for (let k = from; k < to; k++) visit[at++] = codes[k];
        } else {
          // A location the profile does not list is interned on first use.
          const c = visitCodes(table.nodesOfUnlisted(loc));
          if (at + c.length > visit.length) visit = resized(visit, visit.length * 2);
          for (const x of c) visit[at++] = x;
        }
      }
    }
  }
  start[count] = at;
  return { visit, start, weight, count };
}

/** flat and cum per node: cum once per sample (recursion is not double counted), flat to the leaf. */
function accumulate(v: Visits, nodeCount: number): { flat: Float64Array; cum: Float64Array } {
  const flat = new Float64Array(nodeCount);
  const cum = new Float64Array(nodeCount);
  const seen = new Int32Array(nodeCount).fill(-1);
  const { visit, start, weight } = v;
  for (let k = 0; k < v.count; k++) {
    const w = weight[k];
    const end = start[k + 1];
    for (let i = start[k]; i < end; i++) {
      const n = visit[i] >> 1;
      if (seen[n] !== k) {
        seen[n] = k;
        cum[n] += w;
      }
    }
    if (end > start[k]) flat[visit[end - 1] >> 1] += w;
  }
  return { flat, cum };
}

/** Open-addressing hash of (source, destination) node pairs to edge ids: no Map on the hot path. */
class EdgeTable {
  private src = new Int32Array(1 << 12).fill(-1);
  private dst = new Int32Array(1 << 12);
  private ids = new Int32Array(1 << 12);
  private mask = (1 << 12) - 1;
  size = 0;

  private slot(parent: number, n: number): number {
    let h = (Math.imul(parent, 0x9e3779b1) ^ Math.imul(n, 0x85ebca6b)) & this.mask;
    while (this.src[h] !== -1 && (this.src[h] !== parent || this.dst[h] !== n)) h = (h + 1) & this.mask;
    return h;
  }

  /** Edge id of parent → n, or -1 after reserving the slot for id `this.size`. */
  idOrAdd(parent: number, n: number): number {
    const h = this.slot(parent, n);
    if (this.src[h] !== -1) return this.ids[h];
    this.src[h] = parent;
    this.dst[h] = n;
    this.ids[h] = this.size++;
    if (this.size * 2 > this.mask) this.grow();
    return -1;
  }

  private grow(): void {
    const { src, dst, ids } = this;
    const cap = src.length * 2;
    this.src = new Int32Array(cap).fill(-1);
    this.dst = new Int32Array(cap);
    this.ids = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < src.length; i++) {
      if (src[i] === -1) continue;
      const h = this.slot(src[i], dst[i]);
      this.src[h] = src[i];
      this.dst[h] = dst[i];
      this.ids[h] = ids[i];
    }
  }
}

interface Edges {
  weight: number[];
  inline: boolean[];
  dest: number[];
}

/**
 * Edges into inlinable nodes (the others never carry a suffix). With `kept`, dropped nodes are
 * skipped as in pprof's rebuilt graph, so an edge may bridge them.
 */
function edgesOf(v: Visits, inlinable: Uint8Array, kept: Uint8Array | null): Edges {
  const edges: Edges = { weight: [], inline: [], dest: [] };
  const table = new EdgeTable();
  let edgeSeen: Int32Array = new Int32Array(1024).fill(-1);
  const { visit, start, weight } = v;
  for (let k = 0; k < v.count; k++) {
    const w = weight[k];
    let parent = -1;
    const end = start[k + 1];
    for (let i = start[k]; i < end; i++) {
      const n = visit[i] >> 1;
      if (kept !== null && kept[n] !== 1) continue;
      if (parent >= 0 && n !== parent && inlinable[n] === 1) {
        const outer = (visit[i] & 1) === 1;
        let e = table.idOrAdd(parent, n);
        if (e === -1) {
          e = edges.weight.length;
          edges.weight.push(0);
          edges.inline.push(!outer);
          edges.dest.push(n);
          if (e >= edgeSeen.length) {
            const grown = new Int32Array(edgeSeen.length * 2).fill(-1);
            grown.set(edgeSeen);
            edgeSeen = grown;
          }
        }
        if (edgeSeen[e] !== k) {
          edgeSeen[e] = k;
          edges.weight[e] += w;
          if (outer) edges.inline[e] = false;
        }
      }
      parent = n;
    }
  }
  return edges;
}

function resized(a: Int32Array, length: number): Int32Array {
  const b = new Int32Array(length);
  b.set(a.subarray(0, Math.min(a.length, length)));
  return b;
}

/** Inline suffix per node from its incoming edges with |weight| >= edgeCutoff (report.TextItems). */
function inlineLabels(edges: Edges, edgeCutoff: number): Map<number, InlineLabel> {
  const seenInline = new Set<number>();
  const seenPlain = new Set<number>();
  for (let e = 0; e < edges.weight.length; e++) {
    if (Math.abs(edges.weight[e]) < edgeCutoff) continue;
    (edges.inline[e] ? seenInline : seenPlain).add(edges.dest[e]);
  }
  const labels = new Map<number, InlineLabel>();
  for (const n of seenInline) labels.set(n, seenPlain.has(n) ? 'partial-inline' : 'inline');
  return labels;
}

/** graph.Nodes.Sort(FlatNameOrder). */
function sortIds(ids: number[], table: NodeTable, flat: Float64Array, cum: Float64Array): void {
  ids.sort((a, b) => {
    const fa = Math.abs(flat[a]);
    const fb = Math.abs(flat[b]);
    if (fa !== fb) return fb - fa;
    const na = table.names[a];
    const nb = table.names[b];
    if (na !== nb) return na < nb ? -1 : 1;
    const ca = Math.abs(cum[a]);
    const cb = Math.abs(cum[b]);
    if (ca !== cb) return cb - ca;
    const ia = table.infos[a];
    const ib = table.infos[b];
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
}

/** report.newTrimmedGraph for text output (nodecount 0): the nodes `-top` prints. */
export function trimmedGraph(sources: WeightedSamples[], nodeFraction = NODE_FRACTION, edgeFraction = EDGE_FRACTION): TrimmedGraph {
  const table = new NodeTable();
  const visits = collectVisits(table, sources);
  const { flat, cum } = accumulate(visits, table.names.length);
  const inlinable = Uint8Array.from(table.inlinable, (b) => (b ? 1 : 0));
  const fullEdges = edgesOf(visits, inlinable, null);

  const present: number[] = [];
  let totalValue = 0;
  for (let n = 0; n < flat.length; n++) {
    if (flat[n] === 0 && cum[n] === 0) continue;
    present.push(n);
    totalValue += flat[n];
  }
  const nodeCutoff = Math.abs(Math.trunc(totalValue * nodeFraction));
  const edgeCutoff = Math.abs(Math.trunc(totalValue * edgeFraction));

  let keptIds = present;
  let edges = fullEdges;
  if (nodeCutoff > 0) {
    const filtered = present.filter((n) => Math.abs(cum[n]) >= nodeCutoff);
    if (filtered.length !== present.length) {
      keptIds = filtered;
      const kept = new Uint8Array(table.names.length);
      for (const n of keptIds) kept[n] = 1;
      edges = edgesOf(visits, inlinable, kept);
    }
  }

  const toNodes = (ids: number[], labels: Map<number, InlineLabel>): GraphNode[] => {
    sortIds(ids, table, flat, cum);
    return ids.map((n) => ({ name: table.names[n], flat: flat[n], cum: cum[n], inline: labels.get(n) ?? '' }));
  };
  const allLabels = inlineLabels(fullEdges, edgeCutoff);
  const allNodes = toNodes([...present], allLabels);
  const nodes = keptIds === present ? allNodes : toNodes(keptIds, inlineLabels(edges, edgeCutoff));
  return { totalValue, nodeCutoff, edgeCutoff, droppedNodes: present.length - keptIds.length, nodes, allNodes };
}
