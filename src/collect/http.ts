/**
 * fetchBody: one GET with a whole-request deadline and a body cap, every failure turned into a
 * ScrapeError with a stable code. Built on node:http(s) rather than fetch so that a slow drip, an
 * oversized body and a dead socket are each stopped at once and reported precisely.
 */
import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { ScrapeError, toScrapeError } from './errors.js';
import type { ScrapeCode } from '../model/errors.js';
import { formatBytes } from '../format/units.js';
import { redactUrl } from '../format/redact.js';
import { looksLikeHtml, sanitizeSnippet } from './snippet.js';

export type BodyKind = 'proto' | 'text' | 'json';

export interface FetchOptions {
  headers?: Record<string, string>;
  /** Deadline for the whole request: connect, headers and the complete body. */
  timeoutMs: number;
  /** The body may not exceed this many bytes (checked against Content-Length and while reading). */
  maxBytes: number;
  /** How errors name the cap (default "maxBodySize", the config key). */
  capName?: string;
  /** Sees each piece of a 2xx body as it arrives; a ScrapeError it throws ends the request. */
  inspect?: (chunk: Buffer) => void;
  signal?: AbortSignal;
  /** What the caller will parse; an HTML page instead is rejected as 'bad_format'. */
  expect?: BodyKind;
  /**
   * Streams the body to this as it arrives instead of keeping it (the promise then resolves with
   * an empty Buffer); what it throws fails the fetch. Caps and deadline apply as before.
   */
  onChunk?: (chunk: Buffer) => void;
}

const EXPECTED_WORDS: Record<BodyKind, string> = {
  proto: "a gzip'd pprof profile",
  text: 'a text response',
  json: 'JSON',
};

/** How much of a non-2xx body we read for the error message. */
const ERROR_SNIPPET_BYTES = 2048;

/**
 * Connections are kept between scrapes, as Prometheus does: at a one-second schedule a fresh
 * connection per fetch is hundreds of handshakes a second for the daemon and for the targets.
 * An idle connection is closed after IDLE_SOCKET_MS; a target that closed it first is met with one
 * retry on a new connection (the request is a GET, and nothing of it was answered).
 */
const IDLE_SOCKET_MS = 30_000;
const agentOptions = { keepAlive: true, maxFreeSockets: 4, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' } as const;
const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

/**
 * A deadline timer that fires this late means our own event loop was stalled: the time is given
 * back to the target rather than charged to it (a false "timed out (no response headers)").
 */
const STALL_MS = 100;

/** A kept connection the server had already closed: the request never reached it. */
function staleSocket(e: Error & { code?: string }): boolean {
  return e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.message === 'socket hang up';
}

export function fetchBody(url: string, opts: FetchOptions): Promise<Buffer> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new ScrapeError('other', `invalid URL ${JSON.stringify(redactUrl(url))}`));
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(new ScrapeError('other', `unsupported URL scheme ${target.protocol} (use http or https)`));
  }
  if (opts.signal?.aborted) return Promise.reject(new ScrapeError('other', 'scrape aborted'));

  return new Promise<Buffer>((resolve, reject) => {
    const lib = target.protocol === 'https:' ? https : http;
    const capName = opts.capName ?? 'maxBodySize';
    const chunks: Buffer[] = [];
    let received = 0;
    let status = 0;
    let settled = false;

    const finish = (err: ScrapeError | null, body?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else {
        resolve(body!);
      }
    };
    const httpStatusError = (res: http.IncomingMessage): ScrapeError => {
      const snippet = sanitizeSnippet(Buffer.concat(chunks));
      const where = res.headers.location ? ` (redirect to ${redirectTarget(res.headers.location, target)}; redirects are not followed)` : '';
      return new ScrapeError('http_status', `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}${where}${snippet ? `: ${snippet}` : ''}`);
    };

    let res: http.IncomingMessage | undefined;
    const onAbort = (): void => finish(new ScrapeError('other', 'scrape aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const timedOut = (): void => {
      if (settled) return;
      if (status && (status < 200 || status > 299)) return finish(httpStatusError(res!));
      const stage = !status
        ? 'no response headers'
        : `body incomplete after ${formatBytes(received)}`;
      finish(new ScrapeError('timeout', `timed out after ${opts.timeoutMs} ms (${stage})`));
    };
    // The deadline counts from when the request starts (the fetch pool calls us then). Fired
    // late, it re-arms for the time our loop stalled; fired on time, it first lets I/O already
    // waiting be read (setImmediate runs after the poll phase), so only the target is blamed.
    let deadline = performance.now() + opts.timeoutMs;
    // Extended once at most: a loop that keeps stalling must not keep a request open forever.
    let extended = false;
    const onDeadline = (): void => {
      const now = performance.now();
      const late = now - deadline;
      if (late > STALL_MS && !extended) {
        extended = true;
        deadline = now + late;
        timer = setTimeout(onDeadline, late);
        return;
      }
      setImmediate(timedOut);
    };
    let timer = setTimeout(onDeadline, opts.timeoutMs);

    let req: http.ClientRequest;
    const send = (agent: http.Agent | false): void => {
      req = lib.request(target, { method: 'GET', headers: { 'accept-encoding': 'identity', ...opts.headers }, agent });
      req.on('error', (e) => {
        if (settled) return;
        if (!res && req.reusedSocket && staleSocket(e)) return send(false);
        finish(networkError(e, target.host));
      });
      req.on('response', onResponse);
      req.end();
    };
    const onResponse = (r: http.IncomingMessage): void => {
      res = r;
      status = r.statusCode ?? 0;
      const ok = status >= 200 && status <= 299;
      if (ok) {
        const length = Number(r.headers['content-length']);
        if (Number.isFinite(length) && length > opts.maxBytes) {
          return finish(new ScrapeError('too_large', `body is ${formatBytes(length)} (Content-Length), over the ${formatBytes(opts.maxBytes)} cap (${capName})`));
        }
      }
      r.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (!ok) {
          chunks.push(chunk);
          if (received >= ERROR_SNIPPET_BYTES) finish(httpStatusError(r));
          return;
        }
        if (received > opts.maxBytes) {
          return finish(new ScrapeError('too_large', `body passed the ${formatBytes(opts.maxBytes)} cap (${capName})`));
        }
        if (opts.inspect) {
          try {
            opts.inspect(chunk);
          } catch (e) {
            return finish(toScrapeError(e));
          }
        }
        if (opts.onChunk) return stream(r, chunk, received === chunk.length);
        chunks.push(chunk);
      });
      r.on('end', () => {
        if (!ok) return finish(httpStatusError(r));
        if (opts.onChunk) return finish(null, Buffer.alloc(0));
        let body: Buffer;
        try {
          body = decodeContent(Buffer.concat(chunks, received), r.headers['content-encoding'], opts.maxBytes, capName);
        } catch (e) {
          return finish(e as ScrapeError);
        }
        const html = htmlInstead(body, r.headers['content-type'], opts.expect);
        if (html) return finish(html);
        finish(null, body);
      });
      r.on('error', (e) => finish(networkError(e, target.host, received)));
      r.on('close', () => {
        if (!r.complete) finish(new ScrapeError('other', `connection closed before the body was complete (${formatBytes(received)} received)`));
      });
    };
    /** A streamed body is checked on its first chunk; it must arrive as it is (no Content-Encoding). */
    const stream = (r: http.IncomingMessage, chunk: Buffer, first: boolean): void => {
      if (settled) return;
      if (first) {
        const encoding = r.headers['content-encoding'];
        if (encoding && encoding !== 'identity') {
          return finish(new ScrapeError('bad_format', `Content-Encoding ${JSON.stringify(encoding.slice(0, 20))} on a streamed body (leakwatch asks for identity)`));
        }
        const html = htmlInstead(chunk, r.headers['content-type'], opts.expect);
        if (html) return finish(html);
      }
      try {
        opts.onChunk!(chunk);
      } catch (e) {
        finish(toScrapeError(e));
      }
    };
    send(agents[target.protocol as 'http:' | 'https:']);
  });
}

/** The error for an HTML page where `expect` data was asked for, or undefined. */
function htmlInstead(body: Buffer, contentType: string | undefined, expect: BodyKind | undefined): ScrapeError | undefined {
  if (!expect || !looksLikeHtml(body, contentType)) return undefined;
  const snippet = sanitizeSnippet(body);
  return new ScrapeError('bad_format', `expected ${EXPECTED_WORDS[expect]} but got an HTML page${snippet ? ` ("${snippet}")` : ''}: is the URL right?`);
}

function redirectTarget(location: string, base: URL): string {
  try {
    return redactUrl(new URL(location, base));
  } catch {
    return 'an invalid Location';
  }
}

/**
 * We ask for identity, but a proxy may compress anyway. (A pprof profile's own gzip is the body
 * itself, not a Content-Encoding, and stays as it is.)
 */
function decodeContent(body: Buffer, encoding: string | undefined, maxBytes: number, capName: string): Buffer {
  if (!encoding || encoding === 'identity') return body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new ScrapeError('bad_format', `unsupported Content-Encoding ${JSON.stringify(encoding.slice(0, 20))}`);
  }
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ScrapeError('too_large', `body passed the ${formatBytes(maxBytes)} cap (${capName}) once decompressed (Content-Encoding: gzip)`, { cause: e });
    }
    throw new ScrapeError('bad_gzip', `Content-Encoding gzip: ${(e as Error).message}`, { cause: e });
  }
}

const NETWORK_CODES: Record<string, [ScrapeCode, string]> = {
  ECONNREFUSED: ['refused', 'connection refused: nothing is listening on'],
  ENOTFOUND: ['dns', 'host name not found (DNS):'],
  EAI_AGAIN: ['dns', 'host name lookup failed temporarily (DNS):'],
  EAI_FAIL: ['dns', 'host name lookup failed (DNS):'],
  ECONNRESET: ['other', 'connection reset by'],
  EPIPE: ['other', 'connection closed by'],
  ETIMEDOUT: ['timeout', 'connection timed out to'],
  EHOSTUNREACH: ['other', 'host unreachable:'],
  ENETUNREACH: ['other', 'network unreachable:'],
};

/** `host` is host:port of the URL (never credentials). */
function networkError(e: Error & { code?: string }, host: string, received?: number): ScrapeError {
  const known = e.code ? NETWORK_CODES[e.code] : undefined;
  if (known) {
    const during = received !== undefined ? ` while reading the body (${formatBytes(received)} received)` : '';
    return new ScrapeError(known[0], `${known[1]} ${host}${during}`, { cause: e });
  }
  if (e.message === 'socket hang up') return new ScrapeError('other', `connection closed by ${host} before a response`, { cause: e });
  if (e.code && /CERT|SSL|TLS/.test(e.code)) return new ScrapeError('other', `TLS: ${e.message}`, { cause: e });
  return new ScrapeError('other', e.message, { cause: e });
}
