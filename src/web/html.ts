/**
 * HTML for the dashboard without a template engine: a tagged template that escapes every
 * interpolated value unless it is already `SafeHtml`, and the page layout every page shares.
 * Service names, function names and error texts come from the watched services and their
 * profiles, so nothing reaches the page unescaped by accident.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../format/html.js';
import type { Reply } from './server.js';

/** Markup that is already escaped (built by `html`, or trusted literal markup via `raw`). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Trusted markup only (literals in this code, numbers formatted here): never user data. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

function render(v: unknown): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

/** html`<td>${name}</td>`: values escaped, SafeHtml and arrays of it kept, null/undefined/false dropped. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** A path segment: service names may hold anything, including `/` and `?`. */
export function seg(s: string | number): string {
  return encodeURIComponent(String(s));
}

// The only script on any page: copies the next-step command. Allowed by its hash, so the
// Content-Security-Policy can forbid every other script (an injected one would not run).
const SCRIPT =
  "document.addEventListener('click',function(e){var b=e.target.closest&&e.target.closest('[data-copy]');if(!b)return;" +
  "var t=document.getElementById(b.getAttribute('data-copy'));if(t&&navigator.clipboard)navigator.clipboard.writeText(t.textContent)" +
  ".then(function(){b.textContent='Copied'},function(){b.textContent='Select and copy'})});";
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

export const CONTENT_SECURITY_POLICY =
  `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${SCRIPT_HASH}'; ` +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const CSS = `
:root{--fg:#1f2328;--muted:#656d76;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;--link:#0969da;
--ok:#1a7f37;--leaking:#cf222e;--warming:#6e7781;--unreachable:#bc4c00}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{background:#24292f;color:#fff;padding:10px 24px;display:flex;gap:16px;align-items:baseline}
header a{color:#fff;text-decoration:none;font-weight:600}
header nav a{font-weight:400;opacity:.85;margin-right:12px}
main{padding:16px 24px;max-width:1280px}
h1{font-size:22px;margin:8px 0 12px}h2{font-size:17px;margin:24px 0 8px}
a{color:var(--link)}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,pre,.fn{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{background:var(--panel);border:1px solid var(--line);padding:10px;white-space:pre-wrap;word-break:break-all;margin:4px 0}
.state{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.state-ok{background:var(--ok)}.state-leaking{background:var(--leaking)}
.state-warming{background:var(--warming)}.state-unreachable{background:var(--unreachable)}
.state-resolved{background:var(--ok)}.state-open{background:var(--leaking)}
.status-sent{color:var(--ok)}.status-failed{color:var(--leaking)}.status-pending{color:var(--unreachable)}
.muted{color:var(--muted)}.small{font-size:12px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0 12px}
.facts dt{color:var(--muted)}.facts dd{margin:0;font-weight:600}
.note{border-left:4px solid var(--unreachable);background:#fff8c5;padding:8px 12px;margin:8px 0}
.bar{display:inline-block;height:10px;background:#0969da;vertical-align:middle;margin-right:6px;min-width:1px}
.chart{border:1px solid var(--line);background:#fff;margin:6px 0 14px;max-width:1000px}
.chart svg{display:block;width:100%;height:auto}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;padding:6px 10px 0}
.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:5px}
details summary{cursor:pointer}
ol.stack{margin:4px 0;padding-left:22px}ol.stack li.blocks{font-weight:700}
button{font:inherit;font-size:12px;padding:2px 10px;border:1px solid var(--line);background:var(--panel);border-radius:4px;cursor:pointer}
`;

/**
 * The way from a page back to the dashboard's root, as a relative URL ('./', '../'): links stay
 * right when a reverse proxy serves the dashboard under a prefix (http.publicUrl with a path).
 */
export function rootFor(pathname: string): string {
  const depth = pathname.split('/').length - 2;
  return depth <= 0 ? './' : '../'.repeat(depth);
}

export interface PageOptions {
  title: string;
  /** rootFor(the page's path). */
  root: string;
  body: SafeHtml;
  /** Reload the page every N seconds (a plain meta refresh: no script). */
  refreshSeconds?: number;
}

/** The whole document: head with inline CSS, a header bar, the body. */
export function page(o: PageOptions): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${o.refreshSeconds ? html`<meta http-equiv="refresh" content="${o.refreshSeconds}">` : ''}
<title>${o.title} · leakwatch</title>
<link rel="icon" href="data:,">
<style>${raw(CSS)}</style>
</head><body>
<header><a href="${o.root}">leakwatch</a><nav><a href="${o.root}">Services</a><a href="${o.root}api/status">JSON</a></nav></header>
<main>
${o.body}
</main>
<script>${raw(SCRIPT)}</script>
</body></html>
`;
}

export function htmlReply(status: number, doc: SafeHtml): Reply {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    },
    body: doc.value,
  };
}

export function notFoundPage(message: string, root: string): Reply {
  return htmlReply(
    404,
    page({ title: 'Not found', root, body: html`<h1>Not found</h1><p>${message}</p><p><a href="${root}">All services</a></p>` }),
  );
}

/** "2026-11-26 11:09:24Z" */
export function isoShort(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function timeAgo(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A time as the reader wants it first (how long ago), the exact UTC time on hover. */
export function when(ms: number, now: number): SafeHtml {
  return html`<time datetime="${new Date(ms).toISOString()}" title="${isoShort(ms)}">${timeAgo(ms, now)}</time>`;
}

/** A coloured state label: ok, leaking, warming, unreachable, open, resolved. */
export function badge(state: string): SafeHtml {
  const cls = /^[a-z]+$/.test(state) ? state : 'unknown';
  return html`<span class="state state-${cls}">${state}</span>`;
}
