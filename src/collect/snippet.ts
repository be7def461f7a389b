/**
 * Small pure helpers that turn what a server sent back into something safe and short to show a
 * user: error-page snippets, "is this an HTML page?", URLs without credentials.
 */

const SNIPPET_MAX = 160;

/** True when the body (or its content type) is an HTML page rather than data. */
export function looksLikeHtml(body: Uint8Array, contentType?: string): boolean {
  // A gzip'd profile is data whatever a proxy claims its type is.
  if (body[0] === 0x1f && body[1] === 0x8b) return false;
  if (contentType && /^\s*(text\/html|application\/xhtml)/i.test(contentType)) return true;
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, 512))
    .toString('latin1')
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, '')
    .trimStart()
    .toLowerCase();
  return /^<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|title[\s>]|!--)/.test(head);
}

/**
 * A one-line, printable excerpt of an error body: the <title> of an HTML page, or the text with
 * tags and control characters removed, whitespace collapsed and length capped.
 */
export function sanitizeSnippet(body: Uint8Array, max = SNIPPET_MAX): string {
  let text = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, 4096)).toString('utf8');
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text);
  if (title && title[1].trim()) text = title[1];
  else text = text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
  text = text
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\ufffd]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
