/**
 * The function-granularity call graph of `go tool pprof` (internal/graph newGraph, report
 * newTrimmedGraph), reduced to what `-top` prints: per-function flat and cum, node trimming by
 * cum, the FlatNameOrder sort and the inline suffix from the surviving incoming edges.
 *
 * flat and cum are linear in the sample weight, so a diff is just the samples of NEW with
 * weight +v and those of BASE with weight -v fed through the same walk; no merge is needed.
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
  private readonly byLocation = new Map<Location, Int32Array>();

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
    const name = objfile !== '' ? `[${baseName(objfile)}]` : '<unknown>';
    return this.intern(`\0${startLine}\0${objfile}`, name, `{  0  ${startLine} 0 ${objfile}}`);
  }

  /** Node ids of a location's lines, line[0] (innermost) first. */
  nodesOf(loc: Location): Int32Array {
    let nodes = this.byLocation.get(loc);
    if (nodes !== undefined) return nodes;
    const lines = loc.lines;
    if (lines.length === 0) {
      nodes = Int32Array.of(this.unnamed(loc, 0));
    } else {
      nodes = new Int32Array(lines.length);
      for (let i = 0; i < lines.length; i++) {
        const fn = lines[i].function;
        nodes[i] =
          fn && fn.name !== '' ? this.intern(fn.name, fn.name, `{${fn.name}  0  0 0 }`) : this.unnamed(loc, fn?.startLine ?? 0);
        if (i < lines.length - 1) this.inlinable[nodes[i]] = true;
      }
    }
    this.byLocation.set(loc, nodes);
    return nodes;
  }
}

/** Printable frame names of a location, innermost first (as the graph names them). */
export function locationNames(loc: Location): string[] {
  const t = new NodeTable();
  return Array.from(t.nodesOf(loc), (id) => t.names[id]);
}

interface Edges {
  ids: Map<number, number>;
  weight: number[];
  inline: boolean[];
  dest: number[];
}

const EDGE_KEY = 2 ** 26;

/**
 * Walks every sample root to leaf. Computes flat/cum when `kept` is null; edges (only into
 * inlinable nodes, the rest never carry a suffix) always, skipping dropped nodes like pprof's
 * rebuilt graph does, so an edge may bridge them.
 */
function walk(table: NodeTable, sources: WeightedSamples[], kept: Uint8Array | null, flat: number[], cum: number[]): Edges {
  const edges: Edges = { ids: new Map(), weight: [], inline: [], dest: [] };
  let seen: Int32Array = new Int32Array(1024);
  let edgeSeen: Int32Array = new Int32Array(1024);
  let stamp = 0;
  for (const { profile, index, sign } of sources) {
    for (const sample of profile.samples) {
      const v = sample.values[index];
      if (!v) continue;
      const w = sign * v;
      stamp++;
      let parent = -1;
      let residual = false;
      const locs = sample.locations;
      for (let i = locs.length - 1; i >= 0; i--) {
        const nodes = table.nodesOf(locs[i]);
        const last = nodes.length - 1;
        for (let ni = last; ni >= 0; ni--) {
          const n = nodes[ni];
          if (kept !== null && kept[n] !== 1) {
            residual = true;
            continue;
          }
          if (kept === null) {
            while (n >= seen.length) seen = grow(seen);
            while (n >= flat.length) {
              flat.push(0);
              cum.push(0);
            }
            if (seen[n] !== stamp) {
              seen[n] = stamp;
              cum[n] += w;
            }
          }
          if (parent >= 0 && n !== parent && table.inlinable[n]) {
            const key = parent * EDGE_KEY + n;
            let e = edges.ids.get(key);
            if (e === undefined) {
              e = edges.weight.length;
              edges.ids.set(key, e);
              edges.weight.push(0);
              edges.inline.push(ni !== last);
              edges.dest.push(n);
            }
            while (e >= edgeSeen.length) edgeSeen = grow(edgeSeen);
            if (edgeSeen[e] !== stamp) {
              edgeSeen[e] = stamp;
              edges.weight[e] += w;
              if (ni === last) edges.inline[e] = false;
            }
          }
          parent = n;
          residual = false;
        }
      }
      if (kept === null && parent >= 0 && !residual) flat[parent] += w;
    }
  }
  return edges;
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
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
function sortIds(ids: number[], table: NodeTable, flat: number[], cum: number[]): void {
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
  const flat: number[] = [];
  const cum: number[] = [];
  const fullEdges = walk(table, sources, null, flat, cum);

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
      edges = walk(table, sources, kept, flat, cum);
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
