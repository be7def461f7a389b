import type { Profile } from './model.js';

/** Σ value per sample type, in sampleTypes order (e.g. the "of X total" of `pprof -top` for one profile). */
export function sampleTotals(p: Profile): number[] {
  const totals = new Array<number>(p.sampleTypes.length).fill(0);
  for (const s of p.samples) {
    for (let i = 0; i < totals.length; i++) totals[i] += s.values[i];
  }
  return totals;
}
