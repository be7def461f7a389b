/**
 * One line per event on stderr (stdout stays for command output such as `status --json`).
 * Text: journald-friendly. Under systemd (JOURNAL_STREAM names our stream) each line starts with an
 * sd-daemon priority prefix (`<3>` error … `<7>` debug) and no timestamp, since journald adds both;
 * elsewhere it is logfmt: `time=… level=info msg="…" key=value`. JSON on request.
 * Secrets never reach the output: see format/redact.ts.
 */
import { fstatSync } from 'node:fs';
import { maskSecrets, redactFields, redactText } from '../format/redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  format: 'text' | 'json';
  /** Defaults to process.stderr. */
  stream?: NodeJS.WritableStream;
  /** Emit `<N>` priority prefixes; defaults to whether stderr is the journal (JOURNAL_STREAM). */
  journal?: boolean;
  /** Clock for the time field; tests pin it. */
  now?: () => number;
  /**
   * Known secret values (config tokens, webhook URLs, header values), masked wherever they appear
   * in a line. Read on every write, so a Set the daemon refills on reload stays current.
   */
  secrets?: ReadonlySet<string> | readonly string[];
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** sd-daemon(3) priorities. */
const PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

/** The logger a process creates; its children follow a change of level or format (SIGHUP). */
export interface RootLogger extends Logger {
  applyConfig(next: { level: LogLevel; format: 'text' | 'json' }): void;
}

export function createLogger(opts: LoggerOptions): RootLogger {
  const stream = opts.stream ?? process.stderr;
  const journal = opts.journal ?? (opts.stream === undefined && isJournalStream(2));
  const now = opts.now ?? Date.now;
  let min = RANK[opts.level];
  let format = opts.format;
  const write = (level: LogLevel, msg: string, fields: LogFields): void => {
    if (RANK[level] < min) return;
    const line =
      format === 'json'
        ? formatJson(now(), level, msg, fields)
        : journal
          ? `<${PRIORITY[level]}>${formatText(null, level, msg, fields)}`
          : formatText(now(), level, msg, fields);
    stream.write((opts.secrets ? maskSecrets(line, opts.secrets) : line) + '\n');
  };
  return {
    ...bind(write, {}),
    applyConfig: (next) => {
      min = RANK[next.level];
      format = next.format;
    },
  };
}

type WriteFn = (level: LogLevel, msg: string, fields: LogFields) => void;

function bind(write: WriteFn, bound: LogFields): Logger {
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) =>
    write(level, msg, fields ? { ...bound, ...fields } : bound);
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => bind(write, { ...bound, ...fields }),
  };
}

/** systemd sets JOURNAL_STREAM=dev:inode of the journal socket; compare with our fd (sd_journal_stream_fd docs). */
function isJournalStream(fd: number): boolean {
  const want = process.env.JOURNAL_STREAM;
  if (!want) return false;
  try {
    const st = fstatSync(fd);
    return want === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/** A logger that discards everything (tests, library use). */
export const silentLogger: Logger = bind(() => undefined, {});

// ---------- formatting (pure) ----------

export function formatText(time: number | null, level: LogLevel, msg: string, fields: LogFields): string {
  const parts: string[] = [];
  if (time !== null) parts.push(`time=${new Date(time).toISOString()}`);
  // Under the journal the priority prefix carries the level; keep it for grep anyway.
  parts.push(`level=${level}`, `msg=${logfmtValue(redactText(msg))}`);
  for (const [k, v] of Object.entries(redactFields(fields))) {
    if (v !== undefined) parts.push(`${logfmtKey(k)}=${logfmtValue(v)}`);
  }
  return parts.join(' ');
}

export function formatJson(time: number, level: LogLevel, msg: string, fields: LogFields): string {
  const safe = redactFields(fields);
  return JSON.stringify({ time: new Date(time).toISOString(), level, msg: redactText(msg), ...safe });
}

function logfmtKey(k: string): string {
  return k.replace(/[^A-Za-z0-9_.\-]/g, '_') || '_';
}

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined ? '' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  if (s !== '' && /^[^\s"=\\\x00-\x1f]+$/.test(s)) return s;
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/[\x00-\x1f]/g, ' ') + '"';
}

// ---------- rate limiting ----------

interface Window {
  lastAt: number;
  suppressed: number;
}
const windows = new WeakMap<object, Map<string, Window>>();

/**
 * A logger that lets through at most one line per `intervalMs` for `key` (e.g. `scrape:checkout`),
 * so a dead target does not flood the journal. The next line after a quiet period says how many were
 * dropped: "scrape failed (12 similar suppressed)". State is shared by every call with the same
 * logger and key, so callers may create the wrapper on each use.
 */
export function rateLimited(logger: Logger, key: string, intervalMs: number, now: () => number = Date.now): Logger {
  let byKey = windows.get(logger);
  if (!byKey) windows.set(logger, (byKey = new Map()));
  return limited(logger, byKey, key, intervalMs, now);
}

function limited(target: Logger, state: Map<string, Window>, key: string, intervalMs: number, now: () => number): Logger {
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    const t = now();
    const w = state.get(key);
    if (w && t - w.lastAt < intervalMs) {
      w.suppressed++;
      return;
    }
    const suppressed = w?.suppressed ?? 0;
    state.set(key, { lastAt: t, suppressed: 0 });
    if (suppressed > 0) target[level](`${msg} (${suppressed} similar suppressed)`, { ...fields, suppressed });
    else target[level](msg, fields);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    // A child adds fields but shares the window: same key, same budget.
    child: (fields) => limited(target.child(fields), state, key, intervalMs, now),
  };
}

/** Forgets `key` so the next failure logs at once (call when the target recovers). */
export function resetRateLimit(logger: Logger, key: string): void {
  windows.get(logger)?.delete(key);
}
