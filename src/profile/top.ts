/**
 * `go tool pprof -top [-diff_base BASE | -base BASE] NEW`, computed and formatted byte for byte
 * (google/pprof internal/report: computeTotal, newTrimmedGraph, selectOutputUnit, printText).
 */
import { sampleColumns } from './columns.js';
import { BASE_LABEL, compatibilize, isDiffBaseSample } from './diff.js';
import { mergeSources } from './merge.js';
import { padLeft, percentage, scaledLabel, scaleValue } from './gofmt.js';
import { NODE_FRACTION, trimmedGraph, type InlineLabel, type WeightedSamples } from './graph.js';
import type { Profile, ValueType } from './model.js';
import { baseName } from '../format/path.js';
import { ProfileError } from './errors.js';

export interface TopRow {
  function: string;
  flat: number;
  cum: number;
  inline: InlineLabel;
}

export interface TopReport {
  sampleType: string;
  /** The sample type's unit as the profile names it ("bytes", "count", "nanoseconds"). */
  unit: string;
  /** Percentage denominator: Σ|base| for diff_base, Σ|new − base| per sample key for base, else Σ|new|. */
  total: number;
  /** Σ flat of the rows shown. */
  shownFlat: number;
  droppedNodes: number;
  /** The cum value the "Dropped N nodes (cum <= X)" line prints. */
  dropCutoff: number;
  /** After trimming, in -top order. */
  rows: TopRow[];
  /** Every function before trimming, same order. */
  allRows: TopRow[];
  header: { file: string; buildId: string; comments: string[]; durationNanos: number };
}

export interface TopOptions {
  base?: Profile;
  /** How the base applies; default 'diff_base'. */
  mode?: 'diff_base' | 'base';
  /** Sample type name (or "inuse_"-less alias) or index; default: default_sample_type, else the last. */
  sampleIndex?: string | number;
}

/** profile.SampleIndexByName. */
export function sampleIndexOf(types: ValueType[], defaultSampleType: string, wanted?: string | number): number {
  if (wanted === undefined || wanted === '') {
    const i = defaultSampleType !== '' ? types.findIndex((t) => t.type === defaultSampleType) : -1;
    return i >= 0 ? i : types.length - 1;
  }
  const asNumber = typeof wanted === 'number' ? wanted : /^[+-]?\d+$/.test(wanted) ? Number(wanted) : NaN;
  if (!Number.isNaN(asNumber)) {
    if (!Number.isInteger(asNumber) || asNumber < 0 || asNumber >= types.length) {
      throw new ProfileError('select', 'no_sample_type', `sample_index ${wanted} is outside the range [0..${types.length - 1}]`);
    }
    return asNumber;
  }
  const noInuse = String(wanted).replace(/^inuse_/, '');
  const i = types.findIndex((t) => t.type === wanted || t.type === noInuse);
  if (i < 0) {
    throw new ProfileError('select', 'no_sample_type', `sample_index "${wanted}" must be one of: [${types.map((t) => t.type).join(' ')}]`);
  }
  return i;
}

/** What the choice of samples needs to know about the values at one sample index. */
interface ValueStats {
  /** Σ|v|, and the same over the samples labelled pprof::base only. */
  sumAbs: number;
  baseSumAbs: number;
  hasBaseSamples: boolean;
  /** All values share one sign: merging duplicates cannot cancel anything. */
  oneSigned: boolean;
}

/** One pass over the values, from the sample columns when the profile still has them. */
function valueStats(p: Profile, idx: number): ValueStats {
  const cols = sampleColumns(p);
  const n = cols ? cols.count : p.samples.length;
  const baseSets = cols?.labelSets.map((labels) => isDiffBaseSample({ labels }));
  let sumAbs = 0, baseSumAbs = 0, hasBaseSamples = false, pos = false, neg = false;
  for (let k = 0; k < n; k++) {
    const v = cols ? cols.values[k * cols.nTypes + idx] : p.samples[k].values[idx];
    const base = baseSets ? baseSets[cols!.labelOf[k]] : isDiffBaseSample(p.samples[k]);
    sumAbs += Math.abs(v);
    if (base) {
      baseSumAbs += Math.abs(v);
      hasBaseSamples = true;
    }
    if (v > 0) pos = true;
    else if (v < 0) neg = true;
  }
  return { sumAbs, baseSumAbs, hasBaseSamples, oneSigned: !(pos && neg) };
}

/** Σ|v| at idx over the (merged) samples (those labelled pprof::base only, when any are). */
function mergedTotal(merged: Profile, idx: number): number {
  const st = valueStats(merged, idx);
  return st.baseSumAbs > 0 ? st.baseSumAbs : st.sumAbs;
}

/**
 * The samples pprof would analyse, with its total. pprof merges NEW and the negated BASE, and
 * merging is not invisible: samples that cancel vanish, and a vanished sample no longer votes on
 * whether an edge is inline. Under -diff_base nothing can cancel across the two (the base label
 * keeps their keys apart), so when neither profile mixes signs the merge is skipped: the graph is
 * linear in the weights and Σ|base| is the total. -base always merges.
 */
function analysedSamples(next: Profile, base: Profile | undefined, mode: 'diff_base' | 'base', idx: number): { sources: WeightedSamples[]; total: number } {
  // pprof >= Nov 2022 does not merge a lone profile (1.19 does; it only matters for mixed-sign duplicates).
  if (!base) return { sources: [{ profile: next, index: idx, sign: 1 }], total: mergedTotal(next, idx) };
  const nextStats = valueStats(next, idx);
  const baseStats = mode === 'diff_base' && !nextStats.hasBaseSamples && nextStats.oneSigned ? valueStats(base, idx) : null;
  if (baseStats?.oneSigned) {
    const total = baseStats.sumAbs;
    if (total > 0) {
      return {
        sources: [
          { profile: next, index: idx, sign: 1 },
          { profile: base, index: idx, sign: -1 },
        ],
        total,
      };
    }
  }
  const label = mode === 'diff_base' ? { key: BASE_LABEL, value: 'true' } : undefined;
  const merged = mergeSources([{ profile: next }, { profile: base, ratio: -1, label }]);
  return { sources: [{ profile: merged, index: idx, sign: 1 }], total: mergedTotal(merged, idx) };
}

/** The numbers behind `go tool pprof -top`, for NEW alone or against a base. */
export function topReport(next: Profile, opts: TopOptions = {}): TopReport {
  const mode = opts.mode ?? 'diff_base';
  let base = opts.base;
  if (base) [next, base] = compatibilize([next, base]);
  const srcs = base ? [next, base] : [next];
  const defaultType = srcs.map((p) => p.defaultSampleType).find((t) => t !== '') ?? '';
  const idx = sampleIndexOf(next.sampleTypes, defaultType, opts.sampleIndex);
  const { sources, total } = analysedSamples(next, base, mode, idx);
  const g = trimmedGraph(sources);
  const toRow = (n: (typeof g.nodes)[number]): TopRow => ({ function: n.name, flat: n.flat, cum: n.cum, inline: n.inline });
  const rows = g.nodes.map(toRow);

  const mapping = srcs.map((p) => p.mappings[0]).find((m) => m !== undefined);
  const comments: string[] = [];
  for (const p of srcs) for (const c of p.comments) if (!comments.includes(c)) comments.push(c);
  return {
    sampleType: next.sampleTypes[idx].type,
    unit: next.sampleTypes[idx].unit,
    total,
    shownFlat: rows.reduce((s, r) => s + r.flat, 0),
    droppedNodes: g.droppedNodes,
    dropCutoff: Math.abs(Math.trunc(total * NODE_FRACTION)),
    rows,
    allRows: g.allNodes.map(toRow),
    header: {
      file: mapping?.file ?? '',
      buildId: mapping?.buildId ?? '',
      comments,
      durationNanos: srcs.reduce((s, p) => s + p.durationNanos, 0),
    },
  };
}

/** report.selectOutputUnit for the "minimum" default. */
function outputUnit(rows: TopRow[], total: number, sampleUnit: string): string {
  if (rows.length === 0) return 'minimum';
  let minValue = 0;
  for (const r of rows) {
    let v = Math.abs(r.flat);
    if (v === 0) v = Math.abs(r.cum);
    if (v > 0 && (minValue === 0 || v < minValue)) minValue = v;
  }
  const maxValue = total;
  if (minValue === 0) minValue = maxValue;
  const minUnit = scaleValue(minValue, sampleUnit, 'minimum')[1];
  const maxUnit = scaleValue(maxValue, sampleUnit, 'minimum')[1];
  let unit = minUnit;
  if (minUnit !== maxUnit && minValue * 100 < maxValue) unit = scaleValue(100 * minValue, sampleUnit, 'minimum')[1];
  return unit !== '' ? unit : sampleUnit;
}

/** `go tool pprof -top` stdout, byte for byte, without the `Time:` line (it depends on the local zone). */
export function formatTop(r: TopReport): string {
  const sampleUnit = r.unit.toLowerCase();
  const unit = outputUnit(r.rows, r.total, sampleUnit);
  const fmt = (v: number): string => scaledLabel(v, sampleUnit, unit);
  const out: string[] = [];
  if (r.header.file !== '') out.push(`File: ${baseName(r.header.file)}`);
  if (r.header.buildId !== '') out.push(`Build ID: ${r.header.buildId}`);
  for (const c of r.header.comments) if (!c.startsWith('#')) out.push(c);
  if (r.sampleType !== '') out.push(`Type: ${r.sampleType}`);
  if (r.header.durationNanos !== 0) {
    const [totalNanos, totalUnit] = scaleValue(r.total, sampleUnit, 'nanoseconds');
    const ratio = totalUnit === 'ns' && totalNanos !== 0 ? `(${percentage(Math.trunc(totalNanos), r.header.durationNanos)})` : '';
    out.push(`Duration: ${scaledLabel(r.header.durationNanos, 'nanoseconds', 'auto')}, Total samples = ${fmt(r.total)} ${ratio}`);
  }
  out.push(`Showing nodes accounting for ${fmt(r.shownFlat)}, ${percentage(r.shownFlat, r.total).trim()} of ${fmt(r.total)} total`);
  if (r.total !== 0 && r.droppedNodes > 0) {
    out.push(`Dropped ${r.droppedNodes} node${r.droppedNodes > 1 ? 's' : ''} (cum <= ${fmt(r.dropCutoff)})`);
  }
  out.push('      flat  flat%   sum%        cum   cum%');
  let sum = 0;
  for (const row of r.rows) {
    sum += row.flat;
    const inl = row.inline !== '' ? ` (${row.inline})` : '';
    out.push(
      `${padLeft(fmt(row.flat), 10)} ${percentage(row.flat, r.total)} ${percentage(sum, r.total)} ` +
        `${padLeft(fmt(row.cum), 10)} ${percentage(row.cum, r.total)}  ${row.function}${inl}`,
    );
  }
  return out.join('\n') + '\n';
}
