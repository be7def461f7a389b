/**
 * Real receivers on 127.0.0.1 for alert tests: an HTTP server that speaks like a Slack incoming
 * webhook, and an SMTP server (smtp-server) whose messages are parsed with mailparser. Both can
 * be told to fail the next N requests, to play an outage.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

async function waitUntil(cond: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface SlackRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body. */
  body: { text?: string; blocks?: Array<Record<string, unknown>>; [k: string]: unknown };
}

interface Failure {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SlackReceiver {
  /** A webhook URL on this receiver, with a secret-looking path like Slack's. */
  url: string;
  /** Messages answered 200 "ok", in order. */
  received: SlackRequest[];
  /** Every request, failed ones included. */
  requests: number;
  /** Answers the next `n` requests with `status` (and headers/body), e.g. 503 or 429 + Retry-After. */
  fail(n: number, status: number, headers?: Record<string, string>, body?: string): void;
  /** Accepts the request but never answers (until close): a hung receiver. */
  hang(n: number): void;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const SLACK_WEBHOOK_PATH = '/services/T0LEAKWATCH/B0LEAKWATCH/s3cr3tWebhookToken0123456789';

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const failures: Failure[] = [];
  let hangs = 0;
  const hung = new Set<import('node:http').ServerResponse>();
  const received: SlackRequest[] = [];
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      if (hangs > 0) {
        hangs--;
        hung.add(res);
        return;
      }
      const f = failures.shift();
      if (f) {
        res.writeHead(f.status, { 'content-type': 'text/plain', ...f.headers }).end(f.body);
        return;
      }
      if (req.method !== 'POST' || req.url !== SLACK_WEBHOOK_PATH) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
        return;
      }
      let body: SlackRequest['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        return;
      }
      received.push({ path: req.url, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${SLACK_WEBHOOK_PATH}`,
    received,
    get requests() {
      return state.requests;
    },
    fail(n, status, headers = {}, body = status === 429 ? 'rate_limited' : 'service_unavailable') {
      for (let i = 0; i < n; i++) failures.push({ status, headers, body });
    },
    hang(n) {
      hangs += n;
    },
    waitFor: (count, timeoutMs = 10_000) => waitUntil(() => received.length >= count, `${count} Slack message(s)`, timeoutMs),
    close: () =>
      new Promise<void>((ok) => {
        for (const r of hung) r.destroy();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export interface ReceivedMail {
  parsed: ParsedMail;
  /** True when the message came over TLS (STARTTLS or implicit). */
  secure: boolean;
  /** The authenticated user, if any. */
  user?: string;
  envelope: { from: string; to: string[] };
}

export interface SmtpReceiver {
  port: number;
  /** smtp:// URL for nodemailer, with credentials when auth is on. */
  url: string;
  user?: string;
  pass?: string;
  messages: ReceivedMail[];
  /** Transactions started (MAIL FROM), refused ones included. */
  attempts: number;
  /** Refuses the next `n` transactions at MAIL FROM with `code` (4xx: try later, 5xx: never). */
  fail(n: number, code?: number, message?: string): void;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface SmtpReceiverOptions {
  /** Require AUTH with these credentials. */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS (smtp-server's built-in self-signed certificate). */
  starttls?: boolean;
}

export async function startSmtpReceiver(opts: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const failures: { code: number; message: string }[] = [];
  const messages: ReceivedMail[] = [];
  const state = { attempts: 0 };
  const server = new SMTPServer({
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    disabledCommands: opts.starttls ? [] : ['STARTTLS'],
    logger: false,
    size: 50 << 20,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        cb(null, { user: auth.username });
        return;
      }
      const err = new Error('Invalid username or password') as Error & { responseCode: number };
      err.responseCode = 535;
      cb(err);
    },
    onMailFrom(_addr, _session, cb) {
      state.attempts++;
      const f = failures.shift();
      if (f) {
        const err = new Error(f.message) as Error & { responseCode: number };
        err.responseCode = f.code;
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push({
            parsed,
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            },
          });
          cb();
        })
        .catch((err: Error) => cb(err));
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.server.address() as AddressInfo;
  const creds = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : '';
  // The built-in certificate is self-signed: trust it for this test server only.
  const query = opts.starttls ? '?tls.rejectUnauthorized=false' : '';
  return {
    port,
    url: `smtp://${creds}127.0.0.1:${port}${query}`,
    user: opts.auth?.user,
    pass: opts.auth?.pass,
    messages,
    get attempts() {
      return state.attempts;
    },
    fail(n, code = 451, message = 'Temporary local problem, try again later') {
      for (let i = 0; i < n; i++) failures.push({ code, message });
    },
    waitFor: (count, timeoutMs = 10_000) => waitUntil(() => messages.length >= count, `${count} mail(s)`, timeoutMs),
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
