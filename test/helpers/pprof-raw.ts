/**
 * Oracle helpers built on `go tool pprof`: what the real tool read from a profile.
 * `-raw` (google/pprof `Profile.String()`) is rendered in a form that does not depend on
 * profile-local ids, which pprof renumbers when it compacts a profile. pprof's -raw path drops
 * samples with no locations (a goroutine caught with only runtime.goexit on its stack) although
 * -top counts them, so the sample view skips those and totals come from -top.
 */
import type { Profile } from '../../src/profile/model.js';
import { goPprof } from './go.js';

/** Σ|value| per sample type of a decoded profile: what pprof -top calls the total. */
export function absTotals(p: Profile): number[] {
  return p.sampleTypes.map((_, i) => p.samples.reduce((a, s) => a + Math.abs(s.values[i]), 0));
}

/** Σ|value| per sample type as `go tool pprof -top -sample_index=i` reports it ("of X total"). */
export function pprofTotals(file: string, sampleTypes: number): number[] {
  return Array.from({ length: sampleTypes }, (_, i) => {
    // -unit=B prints bytes unscaled (counts are never scaled), so the total is exact.
    const out = goPprof(['-top', '-nodecount=1', `-sample_index=${i}`, '-unit=B', file]);
    const m = /of (-?\d+)B? total/.exec(out);
    if (!m) throw new Error(`no total in pprof -top output:\n${out}`);
    return Number(m[1]);
  });
}

export interface RawView {
  periodType: string | null;
  period: number;
  /** Collection time in ns since the epoch, exact. 0n when the profile has none. */
  timeNanos: bigint;
  /** "type/unit" per sample type. */
  sampleTypes: string[];
  /** Non-zero samples with a stack, merged by (stack, labels): key → summed values. */
  samples: Map<string, number[]>;
}

/** Parses `go tool pprof -raw FILE` output. */
export function parseRaw(text: string): RawView {
  const lines = text.split('\n');
  const at = (head: string) => lines.findIndex((l) => l === head);
  const iSamples = at('Samples:');
  const iLocations = at('Locations');
  const iMappings = at('Mappings');
  if (iSamples < 0 || iLocations < 0 || iMappings < 0) throw new Error(`not pprof -raw output:\n${text}`);
  const header = lines.slice(0, iSamples);
  const pt = header.find((l) => l.startsWith('PeriodType: '));
  const period = Number(header.find((l) => l.startsWith('Period: '))?.slice(8) ?? 0);
  const time = header.find((l) => l.startsWith('Time: '));
  const sampleTypes = lines[iSamples + 1].split(' ').filter(Boolean).map((t) => t.replace('[dflt]', ''));

  const mappingFile = new Map<string, string>();
  for (const l of lines.slice(iMappings + 1)) {
    const m = /^(\d+): \S+ (\S*)/.exec(l);
    if (m) mappingFile.set(m[1], m[2]);
  }
  const locText = new Map<string, string[]>();
  let current: string[] = [];
  for (const l of lines.slice(iLocations + 1, iMappings)) {
    const m = /^\s*(\d+): (0x[0-9a-f]+) (?:M=(\d+) )?(\[F\] )?(.*)$/.exec(l);
    if (m) {
      current = [`${m[2]} ${m[3] ? mappingFile.get(m[3]) : '-'} ${m[4] ? 'F ' : ''}`];
      locText.set(m[1], current);
      if (m[5]) current.push(m[5]);
    } else if (l.trim()) current.push(l.trim());
  }

  const samples = new Map<string, number[]>();
  const body = lines.slice(iSamples + 2, iLocations);
  for (let i = 0; i < body.length; i++) {
    const m = /^([\s\d-]+): (.*)$/.exec(body[i]);
    if (!m) throw new Error(`unexpected -raw sample line: ${body[i]}`);
    const values = m[1].trim().split(/\s+/).map(Number);
    const stack = m[2].trim().split(' ').filter(Boolean).map((id) => locText.get(id)!.join(' / '));
    const labels: string[] = [];
    while (i + 1 < body.length && /^ {16}\S/.test(body[i + 1])) labels.push(body[++i].trim());
    addSample(samples, `${stack.join(' <- ')} ${labels.sort().join(' ')}`, values);
  }
  return {
    periodType: pt ? pt.slice(12) : null,
    period,
    timeNanos: time ? parseGoTime(time.slice(6)) : 0n,
    sampleTypes,
    samples,
  };
}

function addSample(samples: Map<string, number[]>, key: string, values: number[]): void {
  if (key.startsWith(' ') || values.every((v) => v === 0)) return;
  const prev = samples.get(key);
  if (prev) values.forEach((v, j) => (prev[j] += v));
  else samples.set(key, [...values]);
}

/** Go's time.Time.String(): "2026-11-26 09:43:55.061474647 +0000 UTC". */
function parseGoTime(s: string): bigint {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? ([+-]\d\d)(\d\d)/.exec(s);
  if (!m) throw new Error(`unparsable Go time: ${s}`);
  const ms = Date.parse(`${m[1]}T${m[2]}${m[4]}:${m[5]}`);
  return BigInt(ms) * 1_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'));
}

/** The same view of a decoded profile, rendered the way pprof prints it. */
export function viewOf(p: Profile): Pick<RawView, 'sampleTypes' | 'samples'> {
  const loc = (l: Profile['locations'][number]): string => {
    const head = `0x${l.address.toString(16)} ${l.mapping ? l.mapping.file : '-'} ${l.isFolded ? 'F ' : ''}`;
    const lines = l.lines.map((ln) => {
      const f = ln.function;
      const sys = f.name !== f.systemName ? `(${f.systemName})` : '';
      return `${f.name} ${f.filename}:${ln.line} s=${f.startLine}${sys}`;
    });
    return [head, ...lines].join(' / ');
  };
  const samples = new Map<string, number[]>();
  for (const s of p.samples) {
    const strs = new Map<string, string[]>();
    const nums = new Map<string, string[]>();
    for (const l of s.labels) {
      const into = l.str !== undefined ? strs : nums;
      const v = l.str ?? (l.numUnit ? `${l.num} ${l.numUnit}` : String(l.num));
      into.set(l.key, [...(into.get(l.key) ?? []), v]);
    }
    const render = (m: Map<string, string[]>) =>
      [...m].map(([k, v]) => `${k}:[${v.join(' ')}]`).sort().join(' ');
    const labels = [render(strs), render(nums)].filter(Boolean);
    addSample(samples, `${s.locations.map(loc).join(' <- ')} ${labels.sort().join(' ')}`, s.values);
  }
  return { sampleTypes: p.sampleTypes.map((t) => `${t.type}/${t.unit}`), samples };
}
