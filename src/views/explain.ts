/** Read model shared by `leakwatch explain` and the dashboard: what the heap profile shows. */
import { decodeProfile } from '../profile/decode.js';
import { sampleTotals } from '../profile/totals.js';
import type { Store } from '../store/index.js';

/** Per store (profile ids are per database): the last decoded profile's inuse_space total. */
const profileTotals = new WeakMap<Store, { id: number; total: number | undefined }>();

/** inuse_space total of the newest stored heap profile (what the heap profile shows); decoded once per profile. */
export function liveHeapFromLatestProfile(store: Store, service: string, now: number): number | undefined {
  const meta = store.profileNear(service, 'heap', now, 'before');
  if (!meta) return undefined;
  const cached = profileTotals.get(store);
  if (cached?.id === meta.id) return cached.total;
  const data = store.profileData(meta.id);
  let total: number | undefined;
  try {
    const p = data && decodeProfile(data);
    const i = p ? p.sampleTypes.findIndex((t) => t.type === 'inuse_space') : -1;
    total = p && i >= 0 ? sampleTotals(p)[i] : undefined;
  } catch {
    total = undefined; // a profile that does not decode just leaves the comparison out
  }
  profileTotals.set(store, { id: meta.id, total });
  return total;
}
