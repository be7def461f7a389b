/**
 * A sample's labels, read during the sample pass (decode-samples.ts) once the string table is
 * known. Failures are ProfileErrors: `parse` for the wire format, `resolve` for a string index.
 */
import type { Label } from './model.js';
import { closeLen, malformed, openLen, scalar, skip, tag, type Reader } from './wire.js';

function labelString(strings: string[], i: number, sample: number): string {
  if (i >= 0 && i < strings.length) return strings[i];
  return malformed(`sample ${sample} label: string index ${i} out of range (string_table has ${strings.length} entries)`);
}

/** One Label message's fields as on the wire (string indices unresolved). */
export interface LabelFields {
  key: number;
  str: number;
  num: number;
  numUnit: number;
}

/** Reads one Label message into `f` (a scratch record: no allocation per label). */
export function readLabel(r: Reader, wt: number, f: LabelFields): void {
  const end = openLen(r, wt, 'sample.label');
  f.key = f.str = f.num = f.numUnit = 0;
  while (r.pos < end) {
    const t = tag(r);
    const n = t >>> 3;
    if (n === 1) f.key = scalar(r, t & 7, true, 'label.key');
    else if (n === 2) f.str = scalar(r, t & 7, true, 'label.str');
    else if (n === 3) f.num = scalar(r, t & 7, true, 'label.num');
    else if (n === 4) f.numUnit = scalar(r, t & 7, true, 'label.num_unit');
    else skip(r, t);
  }
  closeLen(r, end, 'sample.label');
}

const scratch: LabelFields = { key: 0, str: 0, num: 0, numUnit: 0 };

/** pprof's label rule: str set → string label; else num or unit set → numeric; else dropped. */
export function label(r: Reader, wt: number, out: Label[], strings: string[], sample: number): void {
  readLabel(r, wt, scratch);
  const { key, str, num, numUnit } = scratch;
  const k = labelString(strings, key, sample);
  if (str !== 0) out.push(Object.freeze({ key: k, str: labelString(strings, str, sample) }));
  else if (num !== 0 || numUnit !== 0) {
    const unit = labelString(strings, numUnit, sample);
    out.push(Object.freeze(unit === '' ? { key: k, num } : { key: k, num, numUnit: unit }));
  }
}
