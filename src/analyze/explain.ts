import type { Sample } from '../model/sample.js';
import { formatBytes, formatCount } from '../format/units.js';

/**
 * `leakwatch explain`: where a Go process's memory is, in plain words (pure; no I/O).
 *
 * The parts partition what the runtime holds, Sys − HeapReleased (the figure GOMEMLIMIT
 * enforces), exactly as runtime/metrics' /memory/classes do:
 *   liveHeap      = HeapAlloc                      objects, reachable or not yet swept
 *   fragmentation = HeapInuse − HeapAlloc          unused room in in-use spans
 *   idleRetained  = HeapIdle − HeapReleased        free spans kept for reuse, returnable
 *   stacks        = StackSys                       goroutine (and cgo OS) stacks
 *   gcMetadata    = GCSys + MSpanSys + MCacheSys   the bookkeeping that scales with the heap:
 *                   GC bitmaps and work buffers, span and per-P cache structures. Grouped
 *                   because the user's question is the same for all three ("does it follow
 *                   the heap?") and none of them can be tuned separately.
 *   otherRuntime  = the rest: BuckHashSys + OtherSys (profiling buckets, trace buffers,
 *                   finalizer specials), plus any metadata field the source did not report.
 * nonGo = max(0, RSS − (Sys − HeapReleased)): resident memory the Go runtime does not account
 * for (cgo/C heap, syscall.Mmap, C thread stacks, the binary's own pages).
 */

export interface ExplanationParts {
  liveHeap: number;
  fragmentation: number;
  idleRetained: number;
  stacks: number;
  gcMetadata: number;
  otherRuntime: number;
  /** Only when RSS is known; never negative. */
  nonGo?: number;
}

export interface Explanation {
  service: string;
  /** ISO time of the sample. */
  at: string;
  rss?: number;
  sys: number;
  heapReleased: number;
  /** Sys − HeapReleased: what the runtime holds; the parts (without nonGo) sum to it. */
  heldByGo: number;
  goroutines?: number;
  /** inuse_space total of the latest heap profile, when the caller had one. */
  liveHeapFromProfile?: number;
  parts: ExplanationParts;
  /** The summary's sentences, most important first. */
  notes: string[];
  summary: string;
}

const REQUIRED = ['sys', 'heapAlloc', 'heapInuse', 'heapIdle', 'heapReleased'] as const;

/** A part worth a sentence: at least this share of what the runtime holds. */
const NOTABLE_SHARE = 0.1;
/** RSS beyond the runtime's figure that is more than the binary's own pages. */
const NON_GO_NOTABLE = { bytes: 32e6, share: 0.1 };

export function explain(service: string, s: Sample, opts: { liveHeapFromProfile?: number } = {}): Explanation {
  const missing = REQUIRED.filter((f) => typeof s[f] !== 'number' || !Number.isFinite(s[f]));
  if (missing.length > 0) {
    throw new Error(
      `explaining ${service}: the sample at ${isoTime(s.t)} lacks ${missing.join(', ')} ` +
        '(MemStats come from pprof heap?debug=1, expvar or go_memstats_* metrics)',
    );
  }
  const sys = s.sys!;
  const heapReleased = s.heapReleased!;
  const heldByGo = sys - heapReleased;
  const liveHeap = s.heapAlloc!;
  const fragmentation = Math.max(0, s.heapInuse! - liveHeap);
  const idleRetained = Math.max(0, s.heapIdle! - heapReleased);
  const stacks = s.stackSys ?? 0;
  const gcMetadata = (s.gcSys ?? 0) + (s.mspanSys ?? 0) + (s.mcacheSys ?? 0);
  // The remainder, so the parts always add up to heldByGo; equals BuckHashSys + OtherSys when
  // every field is reported (MemStats identity Sys = HeapSys + StackSys + ... + OtherSys).
  const otherRuntime = Math.max(0, heldByGo - liveHeap - fragmentation - idleRetained - stacks - gcMetadata);
  const parts: ExplanationParts = { liveHeap, fragmentation, idleRetained, stacks, gcMetadata, otherRuntime };

  if (s.rss !== undefined) parts.nonGo = Math.max(0, s.rss - heldByGo);
  // Built in the order of design §3's explain JSON, so --json reads the same way.
  const e: Explanation = {
    service,
    at: isoTime(s.t),
    ...(s.rss === undefined ? {} : { rss: s.rss }),
    sys,
    heapReleased,
    heldByGo,
    ...(s.goroutines === undefined ? {} : { goroutines: s.goroutines }),
    ...(opts.liveHeapFromProfile === undefined ? {} : { liveHeapFromProfile: opts.liveHeapFromProfile }),
    parts,
    notes: [],
    summary: '',
  };
  e.notes = notes(e, s);
  e.summary = e.notes.join(' ');
  return e;
}

type RuntimePart = Exclude<keyof ExplanationParts, 'nonGo'>;
const RUNTIME_PARTS: RuntimePart[] = ['liveHeap', 'fragmentation', 'idleRetained', 'stacks', 'gcMetadata', 'otherRuntime'];

function notes(e: Explanation, s: Sample): string[] {
  const out: string[] = [];
  const held = e.heldByGo;
  out.push(
    `The Go runtime holds ${formatBytes(held)} (Sys ${formatBytes(e.sys)} from the OS` +
      (e.heapReleased > 0 ? ` minus ${formatBytes(e.heapReleased)} already released)` : ', none released)') +
      (e.rss === undefined ? '; RSS is unknown (set pid, pidFile or systemdUnit, or expose process metrics).' : `; RSS is ${formatBytes(e.rss)}.`),
  );
  if (e.rss !== undefined) out.push(...rssNotes(e.rss, held));

  const ranked = [...RUNTIME_PARTS].sort((a, b) => e.parts[b] - e.parts[a]);
  for (const [i, part] of ranked.entries()) {
    const v = e.parts[part];
    if (v <= 0 || (i > 0 && v < NOTABLE_SHARE * held)) continue;
    out.push(partNote(part, v, held, e, s));
  }
  return out;
}

function rssNotes(rss: number, held: number): string[] {
  const nonGo = Math.max(0, rss - held);
  if (nonGo >= NON_GO_NOTABLE.bytes && nonGo >= NON_GO_NOTABLE.share * rss) {
    return [
      `RSS exceeds what the Go runtime holds by ${formatBytes(nonGo)}: memory outside the Go heap (cgo, mmap), ` +
        'e.g. C libraries, syscall.Mmap or C thread stacks; a Go heap profile cannot show it.',
    ];
  }
  if (nonGo > 0) {
    return [`${formatBytes(nonGo)} of RSS lies outside the Go runtime's accounting (the binary's code and shared libraries): normal.`];
  }
  const notResident = held - rss;
  if (notResident >= NOTABLE_SHARE * held) {
    return [
      `${formatBytes(notResident)} of what the runtime holds is not resident (pages mapped but never touched, or swapped out): ` +
        'RSS below the runtime\'s figure is normal.',
    ];
  }
  return [];
}

function partNote(part: RuntimePart, v: number, held: number, e: Explanation, s: Sample): string {
  const share = ` (${pct(v, held)} of what the runtime holds)`;
  switch (part) {
    case 'liveHeap': {
      let text =
        `${formatBytes(v)} is heap objects${share}: reachable ones plus garbage not yet swept (HeapAlloc); ` +
        'a heap profile shows who holds them, and `leakwatch diff` names what grew.';
      const prof = e.liveHeapFromProfile;
      if (prof !== undefined && prof < v) {
        text +=
          ` The heap profile accounts for ${formatBytes(prof)} as of the last GC; the other ${formatBytes(v - prof)} is garbage ` +
          `allocated since, freed by the next GC${s.nextGC === undefined ? '' : ` (heap goal ${formatBytes(s.nextGC)})`}.`;
      }
      return text;
    }
    case 'fragmentation':
      return (
        `${formatBytes(v)} is fragmentation${share}: free room inside in-use spans (HeapInuse − HeapAlloc); ` +
        'it shrinks as the heap settles; not a leak by itself.'
      );
    case 'idleRetained':
      return `${formatBytes(v)} idle heap retained; the runtime returns it over time or on debug.FreeOSMemory; not a leak${share}.`;
    case 'stacks':
      return (
        `${formatBytes(v)} is goroutine stacks${e.goroutines === undefined ? '' : ` for ${formatCount(e.goroutines)} goroutines`}${share}; ` +
        'if it grows, goroutines are piling up: the goroutine profile shows where they block.'
      );
    case 'gcMetadata':
      return `${formatBytes(v)} is GC and allocator metadata (GCSys + MSpanSys + MCacheSys, ${pct(v, held)} of what the runtime holds): it follows the heap's size and object count.`;
    case 'otherRuntime':
      return `${formatBytes(v)} is other runtime memory (profiling buckets and OtherSys, ${pct(v, held)} of what the runtime holds); growth here is unusual.`;
  }
}

const LABELS: Record<keyof ExplanationParts, string> = {
  liveHeap: 'live heap (HeapAlloc)',
  fragmentation: 'fragmentation',
  idleRetained: 'idle, retained',
  stacks: 'goroutine stacks',
  gcMetadata: 'GC/allocator metadata',
  otherRuntime: 'other runtime',
  nonGo: 'outside the Go runtime',
};

/** Multi-line text for the terminal: a table of the parts, then the summary, one sentence a line. */
export function formatExplanation(e: Explanation): string {
  const rows: [string, number, string][] = [];
  if (e.rss !== undefined) rows.push(['RSS', e.rss, '']);
  rows.push(['Sys (from the OS)', e.sys, '']);
  rows.push(['released to the OS', e.heapReleased, '']);
  rows.push(['held by the Go runtime', e.heldByGo, '']);
  for (const p of RUNTIME_PARTS) rows.push([`  ${LABELS[p]}`, e.parts[p], pct(e.parts[p], e.heldByGo)]);
  if (e.parts.nonGo !== undefined) rows.push([LABELS.nonGo, e.parts.nonGo, e.rss ? `${pct(e.parts.nonGo, e.rss)} of RSS` : '']);
  const w = Math.max(...rows.map((r) => r[0].length));
  const vw = Math.max(...rows.map((r) => formatBytes(r[1]).length));
  const lines = [`${e.service} at ${e.at}${e.goroutines === undefined ? '' : `, ${formatCount(e.goroutines)} goroutines`}`, ''];
  for (const [label, v, share] of rows) lines.push(`  ${label.padEnd(w)}  ${formatBytes(v).padStart(vw)}  ${share}`.trimEnd());
  lines.push('', ...e.notes);
  return lines.join('\n');
}

function pct(part: number, whole: number): string {
  if (whole <= 0) return '';
  const p = (100 * part) / whole;
  if (p > 0 && p < 0.1) return '<0.1%';
  return p >= 10 || p === 0 ? `${Math.round(p)}%` : `${p.toFixed(1)}%`;
}

function isoTime(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}
