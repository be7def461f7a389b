/**
 * `${ENV_VAR}`, `${ENV_VAR:-default}` and `${file:path}` in string values, applied to the parsed
 * YAML tree (not the text), so quotes and colons inside values cannot break the document.
 * `$${` is a literal `${`.
 */
import { isAbsolute, resolve } from 'node:path';
import { formatPath, type ConfigPath, type Problem } from './errors.js';

export interface InterpolationContext {
  env: NodeJS.ProcessEnv;
  /** Folder that relative `${file:…}` paths resolve against. */
  baseDir: string;
  readFile: (absolutePath: string) => string;
}

export interface Interpolated {
  value: unknown;
  problems: Problem[];
  /** Formatted path → the original text, for every value that was interpolated. */
  templates: Map<string, string>;
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function interpolateTree(root: unknown, ctx: InterpolationContext): Interpolated {
  const problems: Problem[] = [];
  const templates = new Map<string, string>();

  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('$')) return value;
      const out = interpolateString(value, path, ctx, problems);
      if (out !== value) templates.set(formatPath(path), value);
      return out;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return value;
  };

  return { value: walk(root, []), problems, templates };
}

function interpolateString(
  s: string,
  path: ConfigPath,
  ctx: InterpolationContext,
  problems: Problem[],
): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!s.startsWith('${', i)) {
      out += s[i++];
      continue;
    }
    const end = s.indexOf('}', i + 2);
    if (end < 0) {
      problems.push({ path, message: 'unterminated "${" (write "$${" for a literal "${")' });
      return s;
    }
    const resolved = resolveReference(s.slice(i + 2, end), path, ctx, problems);
    if (resolved === undefined) return s;
    out += resolved;
    i = end + 1;
  }
  return out;
}

function resolveReference(
  ref: string,
  path: ConfigPath,
  ctx: InterpolationContext,
  problems: Problem[],
): string | undefined {
  if (ref.startsWith('file:')) return readSecretFile(ref.slice(5).trim(), path, ctx, problems);
  const sep = ref.indexOf(':-');
  const name = sep < 0 ? ref : ref.slice(0, sep);
  if (!VAR_NAME.test(name)) {
    problems.push({ path, message: `"\${${name}}" is not a valid environment variable reference` });
    return undefined;
  }
  const value = ctx.env[name];
  // Like the shell's ${VAR:-default}: an empty variable counts as unset.
  if (sep >= 0 && (value === undefined || value === '')) return ref.slice(sep + 2);
  if (value === undefined) {
    problems.push({ path, message: `environment variable ${name} is not set` });
    return undefined;
  }
  return value;
}

function readSecretFile(
  file: string,
  path: ConfigPath,
  ctx: InterpolationContext,
  problems: Problem[],
): string | undefined {
  if (file === '') {
    problems.push({ path, message: '"${file:}" needs a file path' });
    return undefined;
  }
  const absolute = isAbsolute(file) ? file : resolve(ctx.baseDir, file);
  try {
    return ctx.readFile(absolute).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push({ path, message: `cannot read secret file ${absolute} (${code})` });
    return undefined;
  }
}
