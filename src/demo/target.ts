/**
 * The demo target: replays a recording of a real leaking Go program (src/demo/record.ts) over
 * HTTP, as its net/http/pprof, expvar and /metrics endpoints answered second by second. The
 * recording loops; on each loop the "process" starts over, as a restarted service would.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

interface Recorded {
  at: number;
  body: Buffer;
}

export interface ReplayTarget {
  base: string;
  durationMs: number;
  close(): Promise<void>;
}

export function loadRecording(path: string): Map<string, Recorded[]> {
  const byPath = new Map<string, Recorded[]>();
  for (const line of gunzipSync(readFileSync(path)).toString('utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { at: number; path: string; body: string };
    const list = byPath.get(r.path) ?? [];
    list.push({ at: r.at, body: Buffer.from(r.body, 'base64') });
    byPath.set(r.path, list);
  }
  for (const list of byPath.values()) list.sort((a, b) => a.at - b.at);
  return byPath;
}

/** The response recorded last at or before `elapsed` into the loop. */
export function pick(list: Recorded[], elapsed: number): Recorded {
  let lo = 0;
  for (let i = 0; i < list.length && list[i]!.at <= elapsed; i++) lo = i;
  return list[lo]!;
}

/** Profile endpoints (protobuf), as opposed to the text and metrics ones. */
const PROFILE = /^\/debug\/pprof\/\w+$/;

const CONTENT_TYPES: [RegExp, string][] = [
  [/debug=/, 'text/plain; charset=utf-8'],
  [/^\/debug\/vars/, 'application/json; charset=utf-8'],
  [/^\/metrics/, 'text/plain; version=0.0.4; charset=utf-8'],
  [/^\/debug\/pprof\//, 'application/octet-stream'],
];

export async function startReplayTarget(recordingPath: string, listen = { host: '127.0.0.1', port: 0 }): Promise<ReplayTarget> {
  const recording = loadRecording(recordingPath);
  const durationMs = Math.max(...[...recording.values()].map((l) => l[l.length - 1]!.at)) + 1000;
  const started = Date.now();
  const served = new Map<string, { loop: number; i: number }>();
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const list = recording.get(url);
    if (!list) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const elapsed = Date.now() - started;
    let r = pick(list, elapsed % durationMs);
    if (PROFILE.test(url)) {
      // A live program's profiles taken seconds apart differ; the recording has one every few
      // seconds, so two captures in one of its slots would be identical and their diff empty.
      // Within a loop, each capture gets a later recorded profile than the one before.
      const loop = Math.floor(elapsed / durationMs);
      const last = served.get(url);
      const i = Math.max(list.indexOf(r), last?.loop === loop ? Math.min(list.length - 1, last.i + 1) : 0);
      served.set(url, { loop, i });
      r = list[i]!;
    }
    const type = CONTENT_TYPES.find(([re]) => re.test(url))?.[1] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-length': r.body.length }).end(r.body);
  });
  await new Promise<void>((ok) => server.listen(listen.port, listen.host, ok));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://${listen.host}:${port}`,
    durationMs,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
