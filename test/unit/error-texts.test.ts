/**
 * Failure reasons say each thing once, stage first, in the style of the profile decoder
 * ("heap profile: parsing profile: … at offset N"): no stage named twice, no detail repeated,
 * whether the failure was found inline or on a decode worker thread.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureProfiles } from '../../src/collect/profiles.js';
import { scrapeService } from '../../src/collect/scrape.js';
import { ScrapeError, withContext } from '../../src/collect/errors.js';
import { createPools, type CollectPools } from '../../src/collect/pools.js';
import { classifySmtpError } from '../../src/alert/email.js';

/** The repeats seen in the field: a word pair said twice ("at offset 5 at offset 5"), a stage named twice ("expvar: expvar: …"). */
function repeats(reason: string): string[] {
  const out: string[] = [];
  const twice = (items: string[]): void => {
    const seen = new Set<string>();
    for (const item of items) {
      if (seen.has(item)) out.push(item);
      seen.add(item);
    }
  };
  const words = reason.split(/\s+/);
  twice(words.slice(1).map((w, i) => `${words[i]} ${w}`));
  twice(reason.split(': ').slice(0, -1));
  return out;
}

describe('repeats', () => {
  it.each([
    ['parsing profile: invalid wire type 7 at offset 12 at offset 12', ['at offset', 'offset 12']],
    ['expvar: expvar: invalid JSON at offset 3: unexpected end', ['expvar']],
    ['heap profile: decompressing profile: truncated gzip stream', []],
  ])('%s', (reason, want) => expect(repeats(reason)).toEqual(want));
});

/** A heap profile whose last field has wire type 7, which protobuf does not define. */
function unknownWireType(): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).fork().uint32(8).int64(1).uint32(16).int64(2).ldelim();
  for (const s of ['', 'inuse_space', 'bytes']) w.uint32((6 << 3) | 2).string(s);
  w.uint32((20 << 3) | 7);
  return gzipSync(w.finish());
}

/** Invalid JSON bigger than the inline limit, so it is parsed on a decode worker. */
const BIG_BAD_JSON = `{"memstats": {"Alloc": 1, "pad": "${'x'.repeat(300 << 10)}", }`;

let server: http.Server;
let base = '';
let pools: CollectPools;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const send = (type: string, body: string | Buffer) => res.writeHead(200, { 'content-type': type }).end(body);
    if (req.url === '/bad/debug/vars') return send('application/json', BIG_BAD_JSON);
    if (req.url === '/small/debug/vars') return send('application/json', '{"memstats": ');
    if (req.url === '/html/metrics') return send('text/plain', '<?xml version="1.0"?><feed/>');
    if (req.url?.startsWith('/wire/debug/pprof/heap')) return send('application/octet-stream', unknownWireType());
    if (req.url?.startsWith('/cut/debug/pprof/heap')) return send('application/octet-stream', gzipSync(Buffer.alloc(4096, 1)).subarray(0, 20));
    res.writeHead(404).end('404 page not found\n');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pools = createPools();
});

afterAll(async () => {
  await pools.decode.stop();
  await new Promise<void>((ok) => server.close(() => ok()));
});

describe('failure reasons say each thing once', () => {
  const target = (over: object) => ({ name: 's', timeout: 5000, maxBodySize: 4 << 20, ...over });

  it.each<[string, () => object, RegExp]>([
    ['invalid JSON parsed on a decode worker', () => ({ expvar: `${base}/bad/debug/vars` }), /^expvar: invalid JSON at offset \d+: /],
    ['invalid JSON parsed inline', () => ({ expvar: `${base}/small/debug/vars` }), /^expvar: invalid JSON at offset \d+: /],
    ['markup where metrics were expected', () => ({ metrics: `${base}/html/metrics` }), /^metrics: expected Prometheus text exposition/],
    ['a process that is not running', () => ({ metrics: `${base}/html/metrics`, pid: 2 ** 22 + 7 }), /^proc: process \d+ is not running$/],
    ['a 404', () => ({ expvar: `${base}/nowhere/debug/vars` }), /^expvar: HTTP 404 Not Found: 404 page not found$/],
  ])('scrape: %s', async (_name, over, reason) => {
    const r = await scrapeService(target(over()), undefined, { pools });
    const reasons = r.failures.map((f) => f.reason);
    expect(reasons.some((s) => reason.test(s)), JSON.stringify(reasons)).toBe(true);
    for (const s of reasons) expect(repeats(s), s).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['an unknown wire type', '/wire/debug/pprof', /^heap profile: parsing profile: field 20 has unknown wire type 7 at offset \d+$/],
    ['a truncated gzip stream', '/cut/debug/pprof', /^heap profile: decompressing profile: truncated gzip stream$/],
  ])('profile capture: %s', async (_name, path, reason) => {
    const { failures } = await captureProfiles(target({ pprof: `${base}${path}` }), ['heap'], { pools });
    expect(failures.map((f) => f.reason)).toEqual([expect.stringMatching(reason)]);
    expect(repeats(failures[0]!.reason)).toEqual([]);
  });

  it('names a stage once however often it is added', () => {
    const e = withContext(withContext(new ScrapeError('bad_format', 'no "memstats" in /debug/vars', { stage: 'expvar' }), 'expvar'), 'expvar');
    expect(e.message).toBe('expvar: no "memstats" in /debug/vars');
    expect(withContext(withContext(new Error('socket hang up'), 'metrics'), 'metrics').message).toBe('metrics: socket hang up');
  });
});

describe('delivery failures say each thing once', () => {
  it.each<[string, object, string]>([
    ['authentication', { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Invalid username or password', command: 'AUTH PLAIN' },
      'SMTP authentication failed (535): 5.7.8 Invalid username or password: check the user and password in the smtp URL'],
    ['a refused recipient', { code: 'EENVELOPE', responseCode: 550, response: '550 Mailbox unavailable', command: 'RCPT TO:<a@b>' },
      'SMTP server refused the message with 550 (during RCPT): Mailbox unavailable'],
    ['a deferral with a multi-line reply', { responseCode: 451, response: '451-Requested action aborted\n451 local error' },
      'SMTP server deferred the message with 451: Requested action aborted\n451 local error'],
  ])('%s', (_name, err, want) => {
    const d = classifySmtpError(err);
    expect(d.message).toBe(want);
    expect(repeats(d.message.split('\n')[0]!)).toEqual([]);
  });
});

