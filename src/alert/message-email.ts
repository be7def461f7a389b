/**
 * Email rendering of an alert: subject, plain text and HTML (every dynamic value escaped), with
 * the baseline and current profiles attached so on-call can open them with `go tool pprof`. Pure.
 */
import { buildContent, profileFileName, type AlertContent } from './message.js';
import type { AlertPayload, EmailAttachment, EmailMessage } from './types.js';
import { escapeHtml } from '../format/html.js';


/** Header values must stay on one line (a newline would start a new header). */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

export function emailSubject(c: AlertContent): string {
  const mark = c.kind === 'resolve' ? 'RESOLVED ' : c.kind === 'test' ? 'TEST ' : c.kind === 'remind' ? 'REMINDER ' : '';
  return oneLine(`[leakwatch] ${mark}${c.title}`);
}

export function emailText(c: AlertContent): string {
  const out: string[] = [emailSubject(c), '', c.summary, ''];
  if (c.kind !== 'test') {
    const width = Math.max(...c.facts.map((f) => f.label.length));
    for (const f of c.facts) out.push(`${`${f.label}:`.padEnd(width + 2)}${f.value}`);
    out.push('');
  }
  if (c.note) out.push(`NOTE: ${c.note}`, '');
  if (c.growth.length > 0) {
    out.push('Top growth (heap diff, baseline -> now):');
    for (const g of c.growth) {
      const detail = [g.share && `${g.share} of growth`, g.objects].filter(Boolean).join(', ');
      out.push(`  ${g.delta.padStart(10)}  ${g.function}${detail ? `  (${detail})` : ''}`);
    }
    if (c.moreGrowth > 0) out.push(`  … and ${c.moreGrowth} more`);
    out.push('');
  }
  for (const g of c.goroutines) {
    out.push(`${g.delta} goroutines (${g.count} now) blocked in ${g.function}:`);
    for (const frame of g.stack) out.push(`    ${frame}`);
    out.push('');
  }
  if (c.nextStep) out.push('Next step:', `  ${c.nextStep}`, '');
  if (c.dashboardUrl) out.push(`Dashboard: ${c.dashboardUrl}`, '');
  out.push(`-- leakwatch on ${c.host}${c.incidentId !== undefined ? `, incident #${c.incidentId}` : ''}`);
  return out.join('\n');
}

const CELL = 'style="padding:2px 12px 2px 0;vertical-align:top"';
const MONO = 'font-family:ui-monospace,Menlo,Consolas,monospace';

function kindColor(c: AlertContent): string {
  return c.kind === 'resolve' ? '#1a7f37' : c.kind === 'test' ? '#57606a' : c.kind === 'remind' ? '#bc4c00' : '#cf222e';
}

export function emailHtml(c: AlertContent): string {
  const h: string[] = [
    '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328;max-width:720px">',
    `<h2 style="color:${kindColor(c)};margin:0 0 8px">${escapeHtml(c.headline)}</h2>`,
    `<p>${escapeHtml(c.summary)}</p>`,
  ];
  if (c.kind !== 'test') {
    h.push('<table style="border-collapse:collapse">');
    for (const f of c.facts) h.push(`<tr><th align="left" ${CELL}>${escapeHtml(f.label)}</th><td ${CELL}>${escapeHtml(f.value)}</td></tr>`);
    h.push('</table>');
  }
  if (c.note) h.push(`<p style="background:#fff8c5;padding:8px"><strong>Note:</strong> ${escapeHtml(c.note)}</p>`);
  if (c.growth.length > 0) {
    h.push('<h3>Top growth (heap diff, baseline → now)</h3><table style="border-collapse:collapse">');
    h.push(`<tr><th align="right" ${CELL}>Δ bytes</th><th align="right" ${CELL}>share</th><th align="right" ${CELL}>Δ objects</th><th align="left" ${CELL}>function</th></tr>`);
    for (const g of c.growth) {
      h.push(
        `<tr><td align="right" ${CELL}>${escapeHtml(g.delta)}</td><td align="right" ${CELL}>${escapeHtml(g.share ?? '')}</td>` +
          `<td align="right" ${CELL}>${escapeHtml(g.objects?.replace(/ objects$/, '') ?? '')}</td>` +
          `<td ${CELL}><code style="${MONO}">${escapeHtml(g.function)}</code></td></tr>`,
      );
    }
    h.push('</table>');
    if (c.moreGrowth > 0) h.push(`<p>… and ${c.moreGrowth} more</p>`);
  }
  for (const g of c.goroutines) {
    h.push(`<h3>${escapeHtml(g.delta)} goroutines (${escapeHtml(g.count)} now) blocked in <code style="${MONO}">${escapeHtml(g.function)}</code></h3>`);
    h.push(`<pre style="${MONO};background:#f6f8fa;padding:8px;overflow-x:auto">${escapeHtml(g.stack.join('\n'))}</pre>`);
  }
  if (c.nextStep) {
    h.push(`<p><strong>Next step</strong></p><pre style="${MONO};background:#f6f8fa;padding:8px;white-space:pre-wrap">${escapeHtml(c.nextStep)}</pre>`);
  }
  if (c.dashboardUrl && /^https?:\/\//i.test(c.dashboardUrl)) {
    h.push(`<p><a href="${escapeHtml(c.dashboardUrl)}">Open in the leakwatch dashboard</a></p>`);
  }
  const footer = `leakwatch on ${c.host}${c.incidentId !== undefined ? ` · incident #${c.incidentId}` : ''}`;
  h.push(`<p style="color:#57606a;font-size:12px">${escapeHtml(footer)}</p></body></html>`);
  return h.join('\n');
}

export function emailAttachments(p: AlertPayload): EmailAttachment[] {
  const out: EmailAttachment[] = [];
  const service = p.event.incident.service;
  for (const role of ['baseline', 'current'] as const) {
    const prof = p.profiles[role];
    if (prof) out.push({ filename: profileFileName(service, role, prof.id), content: prof.data, contentType: 'application/gzip' });
  }
  return out;
}

export function buildEmailMessage(p: AlertPayload): EmailMessage {
  const c = buildContent(p.event);
  return { subject: emailSubject(c), text: emailText(c), html: emailHtml(c), attachments: p.event.kind === 'test' ? [] : emailAttachments(p) };
}
