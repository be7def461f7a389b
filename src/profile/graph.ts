/**
 * The function-granularity call graph of `go tool pprof` (internal/graph newGraph, report
 * newTrimmedGraph), reduced to what `-top` prints: per-function flat and cum, node trimming by
 * cum, the FlatNameOrder sort and the inline suffix from the surviving incoming edges.
 *
 * flat and cum are linear in the sample weight, so a diff can feed the samples of NEW with
 * weight +v and those of BASE with weight -v through the same walk. Only the inline suffix can
 * tell a merged profile apart (a cancelled sample no longer votes); top.ts merges when it must.
 *
 * Seams: graph-nodes.ts interns the nodes, graph-visits.ts turns samples into runs of node
 * visits, graph-edges.ts finds the edges; this file accumulates, trims and sorts.
 */
import { edgesOf, type Edges } from './graph-edges.js';
import { NodeTable } from './graph-nodes.js';
import { collectVisits, type Visits, type WeightedSamples } from './graph-visits.js';

export type { WeightedSamples } from './graph-visits.js';

export type InlineLabel = '' | 'inline' | 'partial-inline';

export interface GraphNode {
  /** Printable name: the function name, `[objfile]` or `<unknown>`. */
  name: string;
  flat: number;
  cum: number;
  inline: InlineLabel;
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

/** flat and cum per node: cum once per run (recursion is not double counted), flat to the leaf. */
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
