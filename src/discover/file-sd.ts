/**
 * Prometheus file_sd: files of `[{targets: [host:port, …], labels: {…}}]` in JSON or YAML, named
 * by globs (a pattern in the last path component, as Prometheus allows). The parser is pure; the
 * FileDiscovery shell reads the files, watches their folders and keeps the last good list of a
 * file that turns bad.
 */
import { readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import YAML from 'yaml';
import type { Labels } from './template.js';
import type { Target } from './rules.js';

export class FileSdError extends Error {}

/** The targets of one file_sd file; throws FileSdError naming the path and the bad element. */
export function parseFileSd(text: string, path: string): Target[] {
  let doc: unknown;
  try {
    doc = /\.json$/i.test(path) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new FileSdError(`${path}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new FileSdError(`${path}: expected a list of target groups ([{targets: [...], labels: {...}}])`);
  const out: Target[] = [];
  doc.forEach((group: unknown, i) => {
    const g = group as { targets?: unknown; labels?: unknown } | null;
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw new FileSdError(`${path}: [${i}]: expected a target group {targets, labels}`);
    const extra = Object.keys(g).filter((k) => k !== 'targets' && k !== 'labels');
    if (extra.length) throw new FileSdError(`${path}: [${i}].${extra[0]}: unknown key (a group has targets and labels)`);
    if (!Array.isArray(g.targets) || g.targets.some((t) => typeof t !== 'string' || t === '')) {
      throw new FileSdError(`${path}: [${i}].targets: expected a list of "host:port" strings`);
    }
    const labels: Labels = {};
    if (g.labels !== undefined && g.labels !== null) {
      if (typeof g.labels !== 'object' || Array.isArray(g.labels)) throw new FileSdError(`${path}: [${i}].labels: expected a mapping of label names to strings`);
      for (const [k, v] of Object.entries(g.labels)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new FileSdError(`${path}: [${i}].labels.${k}: not a label name`);
        if (typeof v !== 'string') throw new FileSdError(`${path}: [${i}].labels.${k}: expected a string`);
        labels[k] = v;
      }
    }
    // Like Prometheus: `instance` defaults to the target's address.
    for (const t of g.targets as string[]) out.push({ labels: { ...labels, instance: labels.instance ?? t }, source: `file:${path}` });
  });
  return out;
}

/** `*`, `?` and `[...]` within one path component. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The files a pattern names now, sorted; a folder that does not exist names none. */
export function expandGlob(pattern: string): string[] {
  const dir = dirname(pattern);
  const name = basename(pattern);
  if (!/[*?[]/.test(name)) return [pattern];
  const re = globToRegExp(name);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.filter((e) => re.test(e)).sort().map((e) => join(dir, e));
}

export interface FileDiscoveryDeps {
  /** Called after a re-read that was caused by a change on disk. */
  onChange: () => void;
  /** A file that cannot be read or parsed: its last good targets are kept. */
  onError: (message: string) => void;
}

/** Debounce for bursts of fs events (an editor writes, renames and chmods in one save). */
const SETTLE_MS = 100;

export class FileDiscovery {
  private readonly lastGood = new Map<string, Target[]>();
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly patterns: readonly string[],
    private readonly deps: FileDiscoveryDeps,
  ) {}

  /** Reads every file now and watches their folders for changes. */
  start(): void {
    this.refresh();
    for (const dir of new Set(this.patterns.map(dirname))) {
      try {
        const w = watch(dir, () => this.changed());
        w.on('error', (err) => this.deps.onError(`${dir}: watching stopped (${err.message}); files are still re-read every refresh`));
        this.watchers.push(w);
      } catch (err) {
        this.deps.onError(`${dir}: cannot watch (${(err as NodeJS.ErrnoException).code ?? String(err)}); files are re-read every refresh`);
      }
    }
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Re-reads every file the patterns name; a vanished file's targets go, a bad file's stay. */
  refresh(): void {
    const files = new Set(this.patterns.flatMap(expandGlob));
    for (const f of this.lastGood.keys()) if (!files.has(f)) this.lastGood.delete(f);
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // A file named literally and absent, or removed between listing and reading: no targets.
        if (code === 'ENOENT') this.lastGood.delete(f);
        else this.deps.onError(`${f}: cannot read (${code ?? String(err)}); keeping its last good targets`);
        continue;
      }
      try {
        this.lastGood.set(f, parseFileSd(text, f));
      } catch (err) {
        this.deps.onError(`${(err as Error).message}; keeping its last good targets`);
      }
    }
  }

  targets(): Target[] {
    return [...this.lastGood.values()].flat();
  }

  private changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh();
      this.deps.onChange();
    }, SETTLE_MS);
  }
}
