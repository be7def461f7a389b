/**
 * The dashboard: server-rendered HTML, no build step and no script beyond a copy button. `/` lists
 * the services, `/services/:name` charts their memory over the detector's window and explains it,
 * `/incidents/:id` is the page alerts link to. Read-only; every value escaped by `html`.
 */
import { METRICS } from '../model/incident.js';
import type { ServiceStatus } from '../views/status.js';
import { formatBytes, formatCount } from '../format/units.js';
import { formatConfidence, formatHours, formatLevel } from '../alert/message.js';
import type { Explanation, ExplanationParts } from '../analyze/explain.js';
import type { Route } from './server.js';
import { apiRoutes, configuredService, explainService, knownService, statusOf, statusOfService, type WebDeps } from './api.js';
import { badge, html, htmlReply, notFoundPage, page, rootFor, seg, when, type SafeHtml } from './html.js';
import { sparkline } from './charts.js';
import { incidentPage, incidentRows, rateText } from './incident-page.js';
import { serviceCharts } from './memory-charts.js';

export type { WebDeps } from './api.js';

/** All routes the daemon adds to its HTTP listener: the JSON API and the dashboard. */
export function webRoutes(deps: WebDeps): Route[] {
  return [...apiRoutes(deps), ...dashboardRoutes(deps)];
}

function dashboardRoutes(deps: WebDeps): Route[] {
  return [
    { method: 'GET', path: '/', handle: () => htmlReply(200, overviewPage(deps, './')) },
    {
      method: 'GET',
      path: '/services/:name',
      handle: ({ params, url }) => {
        const root = rootFor(url.pathname);
        return knownService(deps, params.name!) ? htmlReply(200, servicePage(deps, params.name!, root)) : notFoundPage(`No service named "${params.name}".`, root);
      },
    },
    {
      method: 'GET',
      path: '/incidents/:id',
      handle: ({ params, url }) => {
        const root = rootFor(url.pathname);
        const doc = incidentPage(deps, params.id!, root);
        return doc ? htmlReply(200, doc) : notFoundPage(`No incident #${params.id}.`, root);
      },
    },
  ];
}

const nowOf = (deps: WebDeps) => deps.now?.() ?? Date.now();

const num = (v: number | undefined, f: (x: number) => string) => (v === undefined ? html`<span class="muted">–</span>` : f(v));

function trendCell(s: ServiceStatus): SafeHtml {
  const parts = METRICS.flatMap((m) => {
    const t = s.trends[m];
    return t ? [html`<div><span class="muted">${m}</span> ${rateText(m, t.slopePerHour)} <span class="muted small">(${formatConfidence(t.confidence)})</span></div>`] : [];
  });
  return parts.length ? html`${parts}` : html`<span class="muted">–</span>`;
}

/** A discovered service's labels, as PromQL writes them. */
function labelText(labels: Record<string, string>): string {
  return Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`).join(', ');
}

function overviewPage(deps: WebDeps, root: string): SafeHtml {
  const now = nowOf(deps);
  const { services } = statusOf(deps);
  const open = deps.incidents.listOpen();
  const rows = services.map((s) => {
    const heap = deps.store.samples(s.name, { limit: 120 }).flatMap((x) => (x.heapAlloc === undefined ? [] : [x.heapAlloc]));
    const mine = open.filter((i) => i.service === s.name);
    const href = `${root}services/${seg(s.name)}`;
    return html`<tr data-service="${s.name}">
<td><a href="${href}">${s.name}</a>${s.source ? html`<div class="small muted" title="${s.source}">${labelText(s.labels ?? {})}</div>` : ''}</td>
<td>${badge(s.state)}</td>
<td>${s.lastScrapeAt ? when(Date.parse(s.lastScrapeAt), now) : html`<span class="muted">never</span>`}${
      s.lastScrapeOk === false ? html`<div class="small status-failed" title="${s.lastScrapeError ?? ''}">failed</div>` : ''
    }</td>
<td class="num">${num(s.latest.heapAlloc, formatBytes)}</td>
<td class="num">${num(s.latest.sys, formatBytes)}</td>
<td class="num">${num(s.latest.rss, formatBytes)}</td>
<td class="num">${num(s.latest.goroutines, formatCount)}</td>
<td>${sparkline(heap, { label: `HeapAlloc of ${s.name}, last ${heap.length} samples` })}</td>
<td>${trendCell(s)}</td>
<td>${mine.length === 0 ? html`<span class="muted">0</span>` : mine.map((i) => html`<div><a href="${root}incidents/${i.id}">#${i.id} ${i.metric}</a></div>`)}</td>
<td><a href="${href}">details</a> · <a href="${root}api/services/${seg(s.name)}/samples">samples</a></td>
</tr>`;
  });
  const recent = deps.incidents.list({ limit: 20 });
  const body = html`<h1>Services</h1>
<table class="services"><thead><tr><th>Service</th><th>State</th><th>Last scrape</th><th class="num">Heap</th><th class="num">Sys</th>
<th class="num">RSS</th><th class="num">Goroutines</th><th>Heap, recent</th><th>Trends per hour</th><th>Open incidents</th><th>Links</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="11" class="muted">No services configured.</td></tr>`}</tbody></table>
<h2>Recent incidents</h2>
${recent.length ? incidentRows(recent, now, root) : html`<p class="muted">No incidents yet.</p>`}`;
  return page({ title: 'Services', root, body, refreshSeconds: 30 });
}

const PART_LABELS: Record<keyof ExplanationParts, string> = {
  liveHeap: 'live heap (HeapAlloc)',
  fragmentation: 'fragmentation (HeapInuse − HeapAlloc)',
  idleRetained: 'idle, retained (HeapIdle − HeapReleased)',
  stacks: 'goroutine stacks (StackSys)',
  gcMetadata: 'GC and allocator metadata',
  otherRuntime: 'other runtime',
  nonGo: 'outside the Go runtime (cgo, mmap, binary)',
};

function explainSection(deps: WebDeps, name: string): SafeHtml {
  let e: Explanation | undefined;
  try {
    e = explainService(deps, name);
  } catch (err) {
    return html`<p class="muted">${(err as Error).message}</p>`;
  }
  if (!e) return html`<p class="muted">No samples yet.</p>`;
  const whole = e.rss !== undefined ? Math.max(e.rss, e.heldByGo) : e.heldByGo;
  const rows = (Object.keys(PART_LABELS) as (keyof ExplanationParts)[]).flatMap((k) => {
    const v = e.parts[k];
    if (v === undefined) return [];
    const share = whole > 0 ? v / whole : 0;
    return [html`<tr><td>${PART_LABELS[k]}</td><td class="num">${formatBytes(v)}</td>
<td><span class="bar" style="width:${Math.round(share * 300)}px"></span>${(share * 100).toFixed(1)}%</td></tr>`];
  });
  return html`<p class="muted small">From the sample at ${e.at}. Sys ${formatBytes(e.sys)}, released ${formatBytes(e.heapReleased)}, held by the Go runtime
${formatBytes(e.heldByGo)}${e.rss !== undefined ? html`, RSS ${formatBytes(e.rss)}` : ''}${e.liveHeapFromProfile !== undefined ? html`; the latest heap profile shows ${formatBytes(e.liveHeapFromProfile)}` : ''}.</p>
<table class="explain"><thead><tr><th>Part</th><th class="num">Bytes</th><th>Share of ${e.rss !== undefined ? 'RSS' : 'what the runtime holds'}</th></tr></thead>
<tbody>${rows}</tbody></table>
${e.notes.map((n) => html`<p>${n}</p>`)}`;
}

function trendsTable(s: ServiceStatus): SafeHtml {
  const rows = METRICS.flatMap((m) => {
    const t = s.trends[m];
    if (!t) return [];
    return [html`<tr><td>${m}</td><td class="num">${rateText(m, t.slopePerHour)}</td><td class="num">${rateText(m, t.lowerPerHour)}</td>
<td class="num">${formatConfidence(t.confidence)}</td><td>${t.timeToLimitHours === null ? html`<span class="muted">–</span>` : formatHours(t.timeToLimitHours)}</td></tr>`];
  });
  if (rows.length === 0) return html`<p class="muted">No trend yet: the window has too few samples after the warm-up.</p>`;
  return html`<table><thead><tr><th>Metric</th><th class="num">Fitted slope</th><th class="num">Conservative bound</th><th class="num">Confidence</th><th>Time to limit</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function servicePage(deps: WebDeps, name: string, root: string): SafeHtml {
  const now = nowOf(deps);
  const svc = configuredService(deps, name);
  const status = svc ? statusOfService(deps, svc, now) : undefined;
  const incidents = deps.incidents.list({ service: name, limit: 50 });
  const latest = status?.latest ?? {};
  const head = status
    ? html`<h1>${name} ${badge(status.state)}</h1>
<dl class="facts">
<dt>Last scrape</dt><dd>${status.lastScrapeAt ? html`${when(Date.parse(status.lastScrapeAt), now)}${status.lastScrapeOk ? '' : html` <span class="status-failed">failed: ${status.lastScrapeError ?? 'unknown error'}</span>`}` : 'never'}</dd>
<dt>Last profiles</dt><dd>${status.lastProfilesAt ? html`${when(Date.parse(status.lastProfilesAt), now)}${status.lastProfilesError ? html` <span class="status-failed">failed: ${status.lastProfilesError}</span>` : ''}` : 'never'}</dd>
<dt>Samples stored</dt><dd>${formatCount(status.samples)}</dd>
<dt>Now</dt><dd>${status.samples === 0 ? 'no samples yet' : html`heap ${num(latest.heapAlloc, formatBytes)} · Sys ${num(latest.sys, formatBytes)} · RSS ${num(latest.rss, formatBytes)} · ${num(latest.goroutines, (g) => formatLevel('goroutines', g))}`}</dd>
<dt>Open incidents</dt><dd>${status.openIncidents}</dd>
</dl>`
    : html`<h1>${name}</h1><p class="note">${name} is not in the current configuration; showing its stored history.</p>`;
  const body = html`${head}
<h2>Memory over the window</h2>
${serviceCharts(deps, name, svc, now, incidents)}
${status ? html`<h2>Trends</h2>${trendsTable(status)}` : ''}
<h2>Where the memory is</h2>
${explainSection(deps, name)}
<h2>Incidents</h2>
${incidents.length ? incidentRows(incidents, now, root) : html`<p class="muted">No incidents.</p>`}
<p class="small"><a href="${root}api/services/${seg(name)}/samples">samples (JSON)</a> · <a href="${root}api/services/${seg(name)}/explain">explain (JSON)</a> ·
<a href="${root}api/incidents?service=${seg(name)}">incidents (JSON)</a></p>`;
  return page({ title: name, root, body, refreshSeconds: 60 });
}
