/** Names what grew between two stored profiles: heap functions or goroutine stacks. */
import type { GrowingStack, GrowthFunction } from '../model/incident.js';
import type { Store } from '../store/index.js';
import { decodeProfile } from '../profile/decode.js';
import { goroutineGrowth, topGrowth } from '../profile/attribution.js';

export interface Attribution {
  topGrowth: GrowthFunction[];
  topGoroutines: GrowingStack[];
}

export function attribute(
  store: Store,
  q: { kind: 'heap' | 'goroutine'; baseId: number; currentId: number; blameHeap: boolean },
): Attribution {
  const load = (id: number) => {
    const data = store.profileData(id);
    if (!data) throw new Error(`attribution: stored profile ${id} is gone`);
    return decodeProfile(data);
  };
  if (q.kind === 'goroutine') return { topGrowth: [], topGoroutines: goroutineGrowth(load(q.baseId), load(q.currentId)) };
  if (!q.blameHeap) return { topGrowth: [], topGoroutines: [] };
  return { topGrowth: topGrowth(load(q.baseId), load(q.currentId)), topGoroutines: [] };
}
