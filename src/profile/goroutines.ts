/**
 * Goroutine leaks: the stacks whose goroutine count grew between two goroutine profiles, and
 * the frame where those goroutines block.
 */
import type { GrowingStack } from '../model/incident.js';
import { locationNames } from './graph-nodes.js';
import type { Location, Profile } from './model.js';

/** Goroutine count per stack (function names, leaf first); pprof labels are ignored. */
function countByStack(p: Profile): Map<string, { stack: string[]; count: number }> {
  let idx = p.sampleTypes.findIndex((t) => t.type === 'goroutine');
  if (idx < 0) idx = p.sampleTypes.length - 1;
  const names = new Map<Location, string[]>();
  const out = new Map<string, { stack: string[]; count: number }>();
  for (const s of p.samples) {
    const stack: string[] = [];
    for (const loc of s.locations) {
      let n = names.get(loc);
      if (n === undefined) {
        n = locationNames(loc);
        names.set(loc, n);
      }
      stack.push(...n);
    }
    const key = stack.join('\n');
    const entry = out.get(key);
    if (entry) entry.count += s.values[idx] ?? 0;
    else out.set(key, { stack, count: s.values[idx] ?? 0 });
  }
  return out;
}

/** Where goroutines of a stack wait: the first frame from the leaf outside package runtime. */
export function blockingFunction(stack: string[]): string {
  return stack.find((f) => !f.startsWith('runtime.')) ?? stack[0] ?? '<unknown>';
}

/** The n stacks whose goroutine count grew most (delta > 0), largest growth first. */
export function goroutineGrowth(base: Profile, next: Profile, n = 10): GrowingStack[] {
  const before = countByStack(base);
  const grown: (GrowingStack & { key: string })[] = [];
  for (const [key, { stack, count }] of countByStack(next)) {
    const delta = count - (before.get(key)?.count ?? 0);
    if (delta > 0) grown.push({ key, function: blockingFunction(stack), delta, count, stack });
  }
  grown.sort((a, b) => b.delta - a.delta || b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return grown.slice(0, n).map(({ key: _key, ...g }) => g);
}
