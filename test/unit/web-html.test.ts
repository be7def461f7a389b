import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/format/html.js';
import { CONTENT_SECURITY_POLICY, badge, html, htmlReply, notFoundPage, page, raw, rootFor, seg, timeAgo } from '../../src/web/html.js';

describe('html escaping', () => {
  it.each([
    ['markup', '<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['ampersand first', '&lt;', '&amp;lt;'],
    ['double quotes (attribute breakout)', '" onmouseover="x', '&quot; onmouseover=&quot;x'],
    ['single quotes', "' onfocus='x", '&#39; onfocus=&#39;x'],
    ['plain text', 'main.(*sessionStore).remember', 'main.(*sessionStore).remember'],
  ])('escapeHtml: %s', (_d, input, want) => {
    expect(escapeHtml(input)).toBe(want);
  });

  it('html`` escapes interpolated values but keeps its own markup, SafeHtml and arrays of it', () => {
    const name = '<b>x</b>';
    const inner = html`<i>${name}</i>`;
    const out = html`<td title="${name}">${inner}${[html`<br>`, '<br>']}${null}${undefined}${false}${0}</td>`;
    expect(out.value).toBe('<td title="&lt;b&gt;x&lt;/b&gt;"><i>&lt;b&gt;x&lt;/b&gt;</i><br>&lt;br&gt;0</td>');
    expect(html`${raw('<hr>')}`.value).toBe('<hr>');
    expect(html`${123.5}`.value).toBe('123.5');
  });

  it('seg keeps a hostile service name inside one path segment', () => {
    expect(seg('a/b?c=<d>')).toBe('a%2Fb%3Fc%3D%3Cd%3E');
    expect(html`<a href="/services/${seg('x" onclick="y')}">`.value).toBe('<a href="/services/x%22%20onclick%3D%22y">');
  });

  it('badge only puts a known-safe word into the class attribute', () => {
    expect(badge('leaking').value).toBe('<span class="state state-leaking">leaking</span>');
    expect(badge('"><x').value).toBe('<span class="state state-unknown">&quot;&gt;&lt;x</span>');
  });

  it.each([
    [5_000, '5 s ago'],
    [119_000, '119 s ago'],
    [5 * 60_000, '5 min ago'],
    [3 * 3_600_000, '3 h ago'],
    [3 * 86_400_000, '3 d ago'],
    [-5_000, '0 s ago'],
  ])('timeAgo(%i ms) = %s', (age, want) => {
    expect(timeAgo(1_000_000_000_000 - age, 1_000_000_000_000)).toBe(want);
  });
});

describe('page layout', () => {
  it('the inline script is the only one the Content-Security-Policy allows, by its hash', () => {
    const doc = page({ title: 'T<1>', root: './', body: html`<p>hi</p>` }).value;
    const scripts = [...doc.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    const hash = createHash('sha256').update(scripts[0]!).digest('base64');
    expect(CONTENT_SECURITY_POLICY).toContain(`script-src 'sha256-${hash}'`);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(doc).toContain('<title>T&lt;1&gt; · leakwatch</title>');
    expect(doc.startsWith('<!doctype html>')).toBe(true);
  });

  it('refreshes by meta tag only when asked', () => {
    expect(page({ title: 'a', root: './', body: html``, refreshSeconds: 30 }).value).toContain('<meta http-equiv="refresh" content="30">');
    expect(page({ title: 'a', root: './', body: html`` }).value).not.toContain('http-equiv="refresh"');
  });

  it('replies carry the HTML type and the security headers; 404 pages escape their message', () => {
    const r = htmlReply(200, html`<p>x</p>`);
    expect(r.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-frame-options': 'DENY' });
    const nf = notFoundPage('No service named "<x>".', '../');
    expect(nf.status).toBe(404);
    expect(nf.body).toContain('No service named &quot;&lt;x&gt;&quot;.');
    expect(nf.body).toContain('<a href="../">All services</a>');
  });

  it.each([
    ['/', './'],
    ['/services/checkout', '../'],
    ['/incidents/12', '../'],
    ['/a/b/c', '../../'],
  ])('links are relative to the root from %s (%s), so a proxy prefix keeps working', (path, want) => {
    expect(rootFor(path)).toBe(want);
    expect(new URL(`${want}services/x`, `https://ops.example.com/leakwatch${path}`).pathname).toBe('/leakwatch/services/x');
  });
});
