/**
 * `/incidents/:id`, the page alerts link to: what grows and how fast, who grew (top growth
 * functions, growing goroutine stacks with the function they block in), where the alerts went,
 * and the command to dig further.
 */
import type { Incident, Metric, ResolveReason } from '../model/incident.js';
import { incidentView } from '../views/incidents.js';
import { formatBytes, formatCount } from '../format/units.js';
import { formatConfidence, formatLevel, formatRate, nextStepCommand, timeToLimit as openTimeToLimit } from '../alert/message.js';
import { BUILTIN_DEFAULTS } from '../config/schema.js';
import { configuredService, incidentById, type WebDeps } from './api.js';
import { badge, html, isoShort, page, seg, when, type SafeHtml } from './html.js';
import { memoryCharts } from './memory-charts.js';

const RESOLVED_BECAUSE: Record<ResolveReason, string> = {
  'growth-stopped': 'growth stopped',
  restart: 'process restarted',
  gone: 'service no longer watched',
};

const METRIC_LABEL: Record<Metric, string> = {
  heap: 'Go heap (post-GC floor)',
  sys: 'Sys (memory from the OS)',
  rss: 'RSS (resident memory)',
  goroutines: 'goroutines',
};

const signed = (s: string, n: number) => (n > 0 ? `+${s}` : s);

/** "+1.2 MB/h" or "+150 goroutines/h", signed. */
export function rateText(metric: Metric, perHour: number): string {
  return signed(formatRate(metric, perHour), perHour);
}

function timeToLimit(i: Incident): string {
  return i.resolvedAt !== null ? 'n/a (resolved)' : openTimeToLimit(i);
}

/** A table of incidents, newest first, for the overview and service pages. */
export function incidentRows(list: readonly Incident[], now: number, root: string): SafeHtml {
  const rows = list.map((i) => {
    const top = i.topGrowth[0]?.function ?? i.topGoroutines[0]?.function;
    return html`<tr><td><a href="${root}incidents/${i.id}">#${i.id}</a></td><td><a href="${root}services/${seg(i.service)}">${i.service}</a></td>
<td>${i.metric}</td><td>${badge(i.resolvedAt === null ? 'open' : 'resolved')}</td><td>${when(i.openedAt, now)}</td>
<td class="num">${rateText(i.metric, i.slopePerHour)}</td><td class="fn">${top ?? html`<span class="muted">–</span>`}</td></tr>`;
  });
  return html`<table class="incidents"><thead><tr><th>#</th><th>Service</th><th>Metric</th><th>State</th><th>Opened</th>
<th class="num">Rate</th><th>Top growth</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function growthTable(i: Incident): SafeHtml {
  if (i.topGrowth.length === 0) {
    return html`<p class="muted">${i.metric === 'heap' ? 'No heap profile diff is attached (no profiles captured around the incident).' : 'Not a heap incident: no heap diff.'}</p>`;
  }
  const maxShare = Math.max(...i.topGrowth.map((g) => Math.abs(g.share ?? 0)), 1e-9);
  const rows = i.topGrowth.map((g) => {
    const share = g.share !== undefined && Number.isFinite(g.share) ? g.share : undefined;
    return html`<tr><td class="fn">${g.function}</td><td class="num">${signed(formatBytes(g.deltaBytes), g.deltaBytes)}</td>
<td class="num">${signed(formatCount(g.deltaObjects), g.deltaObjects)}</td>
<td class="num">${g.cumBytes === undefined ? '' : signed(formatBytes(g.cumBytes), g.cumBytes)}</td>
<td>${share === undefined ? html`<span class="muted">–</span>` : html`<span class="bar" style="width:${Math.round((Math.abs(share) / maxShare) * 160)}px"></span>${Math.round(share * 100)}%`}</td></tr>`;
  });
  return html`<table class="growth"><thead><tr><th>Function</th><th class="num">Δ inuse_space (flat)</th><th class="num">Δ objects</th>
<th class="num">Δ cum</th><th>Share of growth</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function stacksSection(i: Incident): SafeHtml {
  if (i.topGoroutines.length === 0) return html``;
  const items = i.topGoroutines.map((g) => html`<div class="stack">
<p><strong>${signed(formatCount(g.delta), g.delta)}</strong> goroutines (now ${formatCount(g.count)}) blocked in <code class="fn blocking">${g.function}</code></p>
<details${g.stack.length <= 12 ? ' open' : ''}><summary>stack, leaf first</summary><ol class="stack">${g.stack.map(
    (f) => html`<li class="${f === g.function ? 'blocks' : ''}"><code>${f}</code></li>`,
  )}</ol></details></div>`);
  return html`<h2>Growing goroutine stacks</h2>${items}`;
}

function deliveriesTable(deps: WebDeps, i: Incident): SafeHtml {
  const view = incidentView(i, deps.outbox);
  if (view.deliveries.length === 0) return html`<p class="muted">No alert deliveries (no channels configured for this service, or none due yet).</p>`;
  const rows = view.deliveries.map((d) => html`<tr><td>${d.channel}</td><td>${d.event}</td><td class="status-${d.status}">${d.status}</td>
<td class="num">${d.attempts}</td><td class="small">${d.lastError ?? ''}</td></tr>`);
  return html`<table class="deliveries"><thead><tr><th>Channel</th><th>Event</th><th>Status</th><th class="num">Attempts</th><th>Last error</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function chartFor(deps: WebDeps, i: Incident, now: number): SafeHtml {
  const svc = configuredService(deps, i.service);
  const window = svc?.window ?? BUILTIN_DEFAULTS.window;
  const end = i.resolvedAt ?? now;
  const charts = memoryCharts(deps, i.service, svc, { from: i.openedAt - window, to: Math.min(now, end + window / 4) }, [i]);
  if (!charts) return html`<p class="muted">No stored samples around this incident (pruned by retention?).</p>`;
  return i.metric === 'heap' ? charts.heap : i.metric === 'goroutines' ? charts.goroutines : charts.process;
}

export function incidentPage(deps: WebDeps, id: string, root: string): SafeHtml | undefined {
  const i = incidentById(deps, id);
  if (!i) return undefined;
  const now = deps.now?.() ?? Date.now();
  const state = i.resolvedAt === null ? 'open' : 'resolved';
  const resolved = i.resolvedAt === null ? '' : html`<dt>Resolved</dt><dd>${isoShort(i.resolvedAt)} (${RESOLVED_BECAUSE[(i.resolveReason as ResolveReason | undefined) ?? 'growth-stopped']})</dd>`;
  const body = html`<h1>#${i.id} <a href="${root}services/${seg(i.service)}">${i.service}</a>: ${i.metric} ${i.slopePerHour > 0 ? html`growing ${rateText(i.metric, i.slopePerHour)}` : html`no longer growing`} ${badge(state)}</h1>
<dl class="facts">
<dt>What grows</dt><dd>${METRIC_LABEL[i.metric]}</dd>
<dt>Current</dt><dd>${formatLevel(i.metric, i.current)}</dd>
<dt>Rate (conservative)</dt><dd>${i.slopePerHour > 0 ? rateText(i.metric, i.slopePerHour) : 'flat or falling'} (${rateText(i.metric, i.openSlopePerHour ?? i.slopePerHour)} when it opened)</dd>
<dt>Confidence</dt><dd>${formatConfidence(i.confidence)}</dd>
<dt>Time to limit</dt><dd>${timeToLimit(i)}</dd>
<dt>Opened</dt><dd>${isoShort(i.openedAt)} (${when(i.openedAt, now)})</dd>
${resolved}
${i.lastAlertAt ? html`<dt>Last alert</dt><dd>${isoShort(i.lastAlertAt)}</dd>` : ''}
</dl>
${i.note ? html`<p class="note">${i.note}</p>` : ''}
<h2>Top growth functions</h2>
${growthTable(i)}
${stacksSection(i)}
<h2>Over time</h2>
${chartFor(deps, i, now)}
<h2>Alert deliveries</h2>
${deliveriesTable(deps, i)}
<h2>Next step</h2>
<pre id="next-step">${nextStepCommand(i)}</pre>
<button type="button" data-copy="next-step">Copy</button>
<p class="small"><a href="${root}api/incidents/${i.id}">this incident as JSON</a>${
    i.baselineProfileId !== undefined ? html` · baseline profile ${i.baselineProfileId}` : ''
  }${i.currentProfileId !== undefined ? html` · current profile ${i.currentProfileId}` : ''}</p>`;
  return page({ title: `#${i.id} ${i.service} ${i.metric}`, root, body });
}
