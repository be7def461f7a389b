/**
 * Inline SVG charts: a time-series line chart with axes and a sparkline. Pure: points in,
 * markup out, so the dashboard needs no script and no build step. Labels go through `html`, so
 * they are escaped like everything else on the page.
 */
import { html, raw, type SafeHtml } from './html.js';

/** [Unix ms, value]. */
export type Point = readonly [number, number];

export interface ChartSeries {
  name: string;
  points: readonly Point[];
  color: string;
  /** Stroke width in chart units (default 1.5). */
  width?: number;
  dashed?: boolean;
}

export interface LineChartOptions {
  /** Accessible name of the chart (the <title> of the SVG). */
  title: string;
  series: readonly ChartSeries[];
  formatY: (v: number) => string;
  /** Time range shown; defaults to the data's. */
  from?: number;
  to?: number;
  /** Vertical lines, e.g. when an incident opened. */
  markers?: readonly { t: number; label: string }[];
  width?: number;
  height?: number;
  /** Smallest tick step: 1 for counts, so an axis never shows 4.5 goroutines. */
  minStep?: number;
  /** Points per series kept for drawing (min and max per slot, so spikes survive). */
  maxPoints?: number;
}

const PAD = { left: 70, right: 14, top: 12, bottom: 26 };

/** Round tick values (1, 2, 2.5, 5 × 10^k) covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 5, minStep = 0): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) return [min];
  const rough = Math.max((max - min) / Math.max(1, count), minStep);
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const TIME_STEPS = [1e3, 5e3, 10e3, 30e3, 60e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3, 86400e3, 604800e3];

/** Tick times on round UTC boundaries, about `count` of them. */
export function timeTicks(from: number, to: number, count = 6): { step: number; ticks: number[] } {
  const span = Math.max(1, to - from);
  const step = TIME_STEPS.find((s) => span / s <= count) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return { step, ticks };
}

function timeLabel(t: number, step: number): string {
  const iso = new Date(t).toISOString();
  if (step >= 86400e3) return iso.slice(5, 10);
  return step < 60e3 ? iso.slice(11, 19) : iso.slice(11, 16);
}

/** At most `max` points: per slot of time, the first, lowest and highest (in time order), so spikes survive. */
export function decimate(points: readonly Point[], max: number): Point[] {
  if (points.length <= max) return [...points];
  const slots = Math.max(1, Math.floor(max / 3));
  const t0 = points[0]![0];
  const span = points[points.length - 1]![0] - t0 || 1;
  const out: Point[] = [];
  let i = 0;
  while (i < points.length) {
    const slot = Math.min(slots - 1, Math.floor(((points[i]![0] - t0) / span) * slots));
    const first = points[i]!;
    let lo = first;
    let hi = first;
    for (; i < points.length && Math.min(slots - 1, Math.floor(((points[i]![0] - t0) / span) * slots)) === slot; i++) {
      const p = points[i]!;
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
    out.push(...[...new Set<Point>([first, lo, hi])].sort((a, b) => a[0] - b[0]));
  }
  return out;
}

/** A gap wider than this many typical steps breaks the line (missed scrapes, restarts of leakwatch). */
const GAP_STEPS = 5;

function pathOf(points: readonly Point[], x: (t: number) => number, y: (v: number) => number): string {
  const steps = points.slice(1).map((p, i) => p[0] - points[i]![0]).sort((a, b) => a - b);
  const typical = steps.length ? steps[Math.floor(steps.length / 2)]! : 0;
  let d = '';
  for (let i = 0; i < points.length; i++) {
    const [t, v] = points[i]!;
    const gap = i > 0 && typical > 0 && t - points[i - 1]![0] > GAP_STEPS * typical;
    d += `${i === 0 || gap ? 'M' : 'L'}${x(t).toFixed(1)} ${y(v).toFixed(1)}`;
  }
  return d;
}

/** A marker's label beside its line, on the left of it near the right edge so it is not cut off. */
function markerLabel(label: string, at: number, W: number): SafeHtml {
  const left = at > W - PAD.right - 120;
  return html`<text x="${(left ? at - 4 : at + 4).toFixed(1)}" y="${PAD.top + 10}" fill="#cf222e" text-anchor="${left ? 'end' : 'start'}">${label}</text>`;
}

/** A line chart of time series sharing one y axis, with a legend. Empty data draws a "no data" frame. */
export function lineChart(o: LineChartOptions): SafeHtml {
  const W = o.width ?? 900;
  const H = o.height ?? 240;
  const series = o.series.map((s) => ({ ...s, points: decimate(s.points.filter((p) => Number.isFinite(p[1])), o.maxPoints ?? 1200) }));
  const all = series.flatMap((s) => s.points);
  const legend = html`<div class="legend">${series.map(
    (s) => html`<span><i style="background:${s.color}"></i>${s.name}</span>`,
  )}</div>`;
  if (all.length === 0) {
    return html`<figure class="chart">${legend}<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${o.title}"><title>${o.title}</title>
<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#656d76" font-size="13">no data in this range</text></svg></figure>`;
  }
  const from = o.from ?? Math.min(...all.map((p) => p[0]));
  const to = Math.max(o.to ?? Math.max(...all.map((p) => p[0])), from + 1);
  let lo = Math.min(...all.map((p) => p[1]));
  let hi = Math.max(...all.map((p) => p[1]));
  if (hi === lo) {
    const pad = Math.max(Math.abs(hi) * 0.1, o.minStep ?? 0) || 1;
    lo -= pad;
    hi += pad;
  }
  const yTicks = niceTicks(lo, hi, 4, o.minStep);
  lo = Math.min(lo, yTicks[0] ?? lo);
  hi = Math.max(hi, yTicks[yTicks.length - 1] ?? hi);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + ((t - from) / (to - from)) * plotW;
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * plotH;
  const { step, ticks } = timeTicks(from, to);

  const grid = yTicks.map(
    (v) => html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eaeef2"/><text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${o.formatY(v)}</text>`,
  );
  const xAxis = ticks.map(
    (t) => html`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom + 4}" stroke="#8c959f"/><text x="${x(t).toFixed(1)}" y="${H - 8}" text-anchor="middle">${timeLabel(t, step)}</text>`,
  );
  const markers = (o.markers ?? [])
    .filter((m) => m.t >= from && m.t <= to)
    .map((m) => html`<g class="marker"><line x1="${x(m.t).toFixed(1)}" x2="${x(m.t).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#cf222e" stroke-dasharray="4 3"/>${markerLabel(m.label, x(m.t), W)}</g>`);
  const lines = series.map((s) =>
    s.points.length === 0
      ? ''
      : html`<path class="series" data-series="${s.name}" d="${pathOf(s.points, x, y)}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${raw(s.dashed ? ' stroke-dasharray="5 4"' : '')} stroke-linejoin="round"/>`,
  );
  return html`<figure class="chart">${legend}<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${o.title}" font-size="11" fill="#57606a"><title>${o.title}</title>
${grid}${xAxis}
<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#d0d7de"/>
${lines}${markers}</svg></figure>`;
}

/** A small trend line without axes, for table cells. */
export function sparkline(values: readonly number[], o: { label: string; width?: number; height?: number; color?: string }): SafeHtml {
  const W = o.width ?? 120;
  const H = o.height ?? 24;
  const vs = values.filter(Number.isFinite);
  if (vs.length < 2) return html`<span class="muted small">–</span>`;
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  const span = hi - lo || 1;
  const pts = vs.map((v, i) => `${((i / (vs.length - 1)) * (W - 2) + 1).toFixed(1)},${(H - 2 - ((v - lo) / span) * (H - 4)).toFixed(1)}`);
  return html`<svg class="spark" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${o.label}"><title>${o.label}</title><polyline points="${pts.join(' ')}" fill="none" stroke="${o.color ?? '#0969da'}" stroke-width="1.5"/></svg>`;
}
