import { describe, expect, it } from 'vitest';
import { looksLikeHtml, sanitizeSnippet } from '../../src/collect/snippet.js';

const b = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

describe('looksLikeHtml', () => {
  it.each<[string, string | Buffer, string | undefined, boolean]>([
    ['doctype', '  <!DOCTYPE html><html>', undefined, true],
    ['html tag after a BOM', '\uFEFF<html lang="en">', undefined, true],
    ['content type says so', 'anything', 'text/html; charset=utf-8', true],
    ['gzip magic', Buffer.from([0x1f, 0x8b, 8, 0]), 'application/octet-stream', false],
    ['gzip magic mislabelled as HTML by a proxy', Buffer.from([0x1f, 0x8b, 8, 0]), 'text/html', false],
    ['JSON', '{"memstats": {}}', 'application/json', false],
    ['pprof text', 'heap profile: 1: 2 [3: 4] @ heap/1048576', 'text/plain; charset=utf-8', false],
  ])('%s', (_name, body, type, expected) => {
    expect(looksLikeHtml(b(body), type)).toBe(expected);
  });
});

describe('sanitizeSnippet', () => {
  it('prefers the page title', () => {
    expect(sanitizeSnippet(b('<html><head><title> 502 Bad Gateway </title></head><body><h1>nginx</h1></body></html>'))).toBe('502 Bad Gateway');
  });
  it('strips tags, scripts and control characters, collapses whitespace', () => {
    expect(sanitizeSnippet(b('<div>Not\tfound<script>alert(1)</script>\n\n\x1b[31m here</div>'))).toBe('Not found [31m here');
  });
  it('caps the length', () => {
    const s = sanitizeSnippet(b('x'.repeat(1000)), 50);
    expect(s).toHaveLength(50);
    expect(s.endsWith('…')).toBe(true);
  });
  it('keeps plain Go error text', () => {
    expect(sanitizeSnippet(b('404 page not found\n'))).toBe('404 page not found');
  });
});
