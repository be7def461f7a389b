/**
 * Hostile HTTP routes, one class each, for `npm run bench:hostile` and the isolation acceptance
 * test: handlers for node:http keyed by request URL (`/<class>/...`). Everything is generated;
 * big bodies are streamed with back-pressure, so the server itself stays small.
 */
import type http from 'node:http';
import { gzipSync } from 'node:zlib';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export const HOSTILE_CLASSES = ['bomb', 'expvar50', 'endless', 'drip', 'random', 'hugemetrics'] as const;
export type HostileClass = (typeof HOSTILE_CLASSES)[number];

/** The source each class is configured as: `pprof`, `expvar` or `metrics` URL under /<class>. */
export const HOSTILE_SOURCE: Record<HostileClass, { key: 'pprof' | 'expvar' | 'metrics'; path: string }> = {
  bomb: { key: 'pprof', path: '/debug/pprof' },
  expvar50: { key: 'expvar', path: '/debug/vars' },
  endless: { key: 'metrics', path: '/metrics' },
  drip: { key: 'expvar', path: '/debug/vars' },
  random: { key: 'pprof', path: '/debug/pprof' },
  hugemetrics: { key: 'metrics', path: '/metrics' },
};

const send = (body: Buffer | string, type: string): Handler => (_req, res) => {
  res.writeHead(200, { 'content-type': type }).end(body);
};

/** Writes `next()` chunks with back-pressure until it returns null or the client goes away. */
function stream(type: string, next: () => Buffer | string | null): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': type });
    const pump = (): void => {
      for (;;) {
        if (res.destroyed) return;
        const chunk = next();
        if (chunk === null) return void res.end();
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  };
}

let bomb: Buffer | undefined;
/** 4.2 MB that inflates to 4 GiB: 64 gzip members of 64 MiB of zeros each (a valid multi-member gzip). */
export function gzipBomb(): Buffer {
  bomb ??= Buffer.concat(Array(64).fill(gzipSync(Buffer.alloc(64 << 20))));
  return bomb;
}

function randomBytes(n: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  return out;
}

const MIB = Buffer.alloc(1 << 20, 0x78);
const ENDLESS_CHUNK = Buffer.from(Array.from({ length: 2000 }, (_, i) => `endless_series{i="${i}"} 1\n`).join(''));

export interface HostileFixtures {
  /** A real heap?debug=1 and goroutine?debug=1 text, so the bomb service keeps its MemStats. */
  heapText: Buffer;
  goroutineText: Buffer;
}

/** Every hostile class's routes, keyed by the URL the daemon requests. */
export function hostileRoutes(f: HostileFixtures): Record<string, Handler> {
  const noise = randomBytes(1 << 20);
  const octets = 'application/octet-stream';
  return {
    '/bomb/debug/pprof/heap?debug=1': send(f.heapText, 'text/plain'),
    '/bomb/debug/pprof/goroutine?debug=1': send(f.goroutineText, 'text/plain'),
    '/bomb/debug/pprof/heap': send(gzipBomb(), octets),
    '/bomb/debug/pprof/goroutine': send(gzipBomb(), octets),
    // 50 MB of expvar JSON, chunked (no Content-Length to refuse it by).
    '/expvar50/debug/vars': (req, res) => {
      let part = 0;
      stream('application/json', () => {
        part++;
        if (part === 1) return '{"memstats": {"Alloc": 1048576, "Sys": 8388608, "HeapAlloc": 1048576}, "junk": "';
        if (part <= 51) return MIB;
        return part === 52 ? '"}' : null;
      })(req, res);
    },
    // A /metrics body that never ends.
    '/endless/metrics': (req, res) => stream('text/plain; version=0.0.4', () => ENDLESS_CHUNK)(req, res),
    // Headers at once, then one byte every 100 ms, forever.
    '/drip/debug/vars': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      const timer = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(timer));
    },
    '/random/debug/pprof/heap?debug=1': send(noise, 'text/plain'),
    '/random/debug/pprof/goroutine?debug=1': send(noise, 'text/plain'),
    '/random/debug/pprof/heap': send(noise, octets),
    '/random/debug/pprof/goroutine': send(gzipSync(noise), octets),
    // 50 MB of valid exposition lines, chunked.
    '/hugemetrics/metrics': (req, res) => {
      let sent = 0;
      let i = 0;
      stream('text/plain; version=0.0.4', () => {
        if (sent >= 50e6) return null;
        let s = '';
        for (let k = 0; k < 1000; k++) s += `http_requests_total{path="/api/v1/items/${i++}",code="200"} ${i}\n`;
        sent += s.length;
        return s;
      })(req, res);
    },
  };
}
