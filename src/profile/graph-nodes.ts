/**
 * The nodes of pprof's function-granularity graph: NodeInfo identities after
 * Aggregate(functions), interned to small ids, with the names `-top` prints.
 */
import type { Location } from './model.js';
import { baseName } from '../format/path.js';

/**
 * Interns pprof NodeInfo identities. After Aggregate(functions), a named function's node is its
 * name; an unnamed one is (objfile, start line); a location without lines is (objfile).
 */
export class NodeTable {
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
export function visitCodes(nodes: number[]): number[] {
  const codes = new Array<number>(nodes.length);
  for (let i = 0; i < nodes.length; i++) codes[i] = nodes[nodes.length - 1 - i] * 2 + (i === 0 ? 1 : 0);
  return codes;
}
