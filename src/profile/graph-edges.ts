/**
 * The graph's edges as `-top` needs them: only edges into inlinable nodes (the others never
 * carry a suffix), with their weight and whether every sample enters them inline.
 */
import type { Visits } from './graph-visits.js';

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

export interface Edges {
  weight: number[];
  inline: boolean[];
  dest: number[];
}

/**
 * Edges into inlinable nodes (the others never carry a suffix). With `kept`, dropped nodes are
 * skipped as in pprof's rebuilt graph, so an edge may bridge them.
 */
export function edgesOf(v: Visits, inlinable: Uint8Array, kept: Uint8Array | null): Edges {
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
