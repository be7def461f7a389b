/**
 * The charts of a service's stored samples: the heap floor the detector fits against raw
 * HeapAlloc, Sys and RSS, goroutines. Floors are computed per process lifetime with the
 * detector's own code (series.ts), so the line on the page is the line that was trended.
 */
import { BUILTIN_DEFAULTS, type ServiceConfig } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import type { Sample } from '../model/sample.js';
import { bucketWidth, floorSeries } from '../analyze/series.js';
import { isRestart } from '../model/restart.js';
import { formatBytes, formatCount } from '../format/units.js';
import type { WebDeps } from './api.js';
import { lineChart, type Point } from './charts.js';
import { html, type SafeHtml } from './html.js';

const HOUR = 3_600_000;

/** Splits samples at process restarts (never draw a floor across one). */
export function lifetimes(samples: readonly Sample[]): Sample[][] {
  const out: Sample[][] = [];
  for (let i = 0; i < samples.length; i++) {
    if (i === 0 || isRestart(samples[i - 1]!, samples[i]!)) out.push([]);
    out[out.length - 1]!.push(samples[i]!);
  }
  return out;
}

/** The heap floor per bucket, in Unix ms, as the detector computes it for each lifetime. */
export function heapFloorPoints(samples: readonly Sample[], window: number, now: number, gogc: number | undefined): Point[] {
  const width = bucketWidth(window);
  const out: Point[] = [];
  for (const life of lifetimes(samples)) {
    const fromT = life[0]!.t;
    const origin = Math.floor(fromT / width) * width;
    const floors = floorSeries(life, 0, fromT, now, width, gogc).heap;
    for (let k = 0; k < floors.t.length; k++) out.push([origin + floors.t[k]! * HOUR, floors.v[k]!]);
  }
  return out;
}

function points(samples: readonly Sample[], field: 'heapAlloc' | 'sys' | 'rss' | 'goroutines'): Point[] {
  return samples.flatMap((s) => (s[field] === undefined ? [] : [[s.t, s[field]!] as Point]));
}

/**
 * The shown range: the window up to now, or, for a service that stopped reporting, the window up
 * to its last sample (an empty chart tells nobody anything).
 */
function chartRange(deps: WebDeps, name: string, window: number, now: number): { from: number; to: number } {
  const last = deps.store.latestSample(name);
  const to = last && last.t < now - window ? last.t : now;
  return { from: to - window, to };
}

export interface MetricCharts {
  heap: SafeHtml;
  process: SafeHtml;
  goroutines: SafeHtml;
}

export function memoryCharts(
  deps: WebDeps, name: string, svc: ServiceConfig | undefined, range: { from: number; to: number }, incidents: readonly Incident[],
): MetricCharts | undefined {
  const window = range.to - range.from;
  const samples = deps.store.samples(name, range);
  if (samples.length === 0) return undefined;
  // History shorter than the range: start where the data starts, not with an empty stretch.
  if (samples[0]!.t > range.from) range = { from: samples[0]!.t, to: range.to };
  const markers = incidents.flatMap((i) => [
    { t: i.openedAt, label: `#${i.id} opened` },
    ...(i.resolvedAt === null ? [] : [{ t: i.resolvedAt, label: `#${i.id} resolved` }]),
  ]);
  const common = { from: range.from, to: range.to, markers };
  const bytes = (v: number) => formatBytes(v);
  return {
    heap: lineChart({
      ...common,
      title: `${name}: heap floor vs HeapAlloc`,
      formatY: bytes,
      series: [
        { name: 'HeapAlloc', points: points(samples, 'heapAlloc'), color: '#9ec5fe', width: 1 },
        { name: 'heap floor (trended)', points: heapFloorPoints(samples, svc?.window ?? window, range.to, svc?.gogc), color: '#0550ae', width: 2.5 },
      ],
    }),
    process: lineChart({
      ...common,
      title: `${name}: Sys and RSS`,
      formatY: bytes,
      series: [
        { name: 'Sys', points: points(samples, 'sys'), color: '#bc4c00' },
        { name: 'RSS', points: points(samples, 'rss'), color: '#8250df' },
      ],
    }),
    goroutines: lineChart({
      ...common,
      title: `${name}: goroutines`,
      formatY: (v) => formatCount(v),
      minStep: 1,
      series: [{ name: 'goroutines', points: points(samples, 'goroutines'), color: '#1a7f37' }],
    }),
  };
}

/** The three charts of the service page over its window. */
export function serviceCharts(deps: WebDeps, name: string, svc: ServiceConfig | undefined, now: number, incidents: readonly Incident[]): SafeHtml {
  const range = chartRange(deps, name, svc?.window ?? BUILTIN_DEFAULTS.window, now);
  const c = memoryCharts(deps, name, svc, range, incidents);
  if (!c) return html`<p class="muted">No samples in the window yet.</p>`;
  return html`<h3>Heap</h3>${c.heap}<h3>Sys and RSS</h3>${c.process}<h3>Goroutines</h3>${c.goroutines}`;
}
