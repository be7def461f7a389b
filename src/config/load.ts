/**
 * Reading a config: YAML → `${…}` interpolation → schema + cross-key checks → one ConfigError
 * listing every problem in file order, or the resolved Config.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML, { type Document } from 'yaml';
import type * as z from 'zod';
import { crossChecks } from './checks.js';
import { ConfigError, formatPath, formatProblem, suggestKey, type ConfigPath, type Problem } from './errors.js';
import { interpolateTree } from './interpolate.js';
import { configSchema, type Config } from './schema.js';

export { ConfigError } from './errors.js';

export const DEFAULT_CONFIG_PATH = '/etc/leakwatch/leakwatch.yaml';

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.LEAKWATCH_CONFIG || DEFAULT_CONFIG_PATH;
}

export interface ParseOptions {
  /** The config file's path: relative paths inside it resolve against its folder. */
  path: string;
  env?: NodeJS.ProcessEnv;
  /** Reads `${file:…}` secrets; tests may replace it. */
  readFile?: (absolutePath: string) => string;
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError([`${absolute}: cannot read the config file (${code})`]);
  }
  return parseConfig(text, { path: absolute, env });
}

export function parseConfig(text: string, opts: ParseOptions): Config {
  const configPath = resolve(opts.path);
  const baseDir = dirname(configPath);
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { merge: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => {
      const at = e.linePos?.[0];
      // Only the first line: the rest is a code frame that could show a secret written in the file.
      const what = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return at ? `line ${at.line}, column ${at.col}: ${what}` : what;
    }));
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) {
    throw new ConfigError(['config: the file is empty (it needs at least a services: list)']);
  }

  const interpolated = interpolateTree(raw, {
    env: opts.env ?? process.env,
    baseDir,
    readFile: opts.readFile ?? ((p) => readFileSync(p, 'utf8')),
  });
  const problems: Problem[] = [...interpolated.problems];
  const result = configSchema(configPath, baseDir).safeParse(interpolated.value, {
    reportInput: true,
    error: errorMessage,
  });
  if (!result.success) problems.push(...result.error.issues.flatMap(toProblems));
  problems.push(...crossChecks(interpolated.value));

  const reported = dropFollowOns(problems, interpolated.problems);
  if (reported.length > 0) {
    const ordered = inFileOrder(reported, doc);
    const messages = ordered.map((p) => formatProblem(p, interpolated.templates));
    throw new ConfigError([...new Set(messages)]);
  }
  if (!result.success) throw new ConfigError(['config: invalid']);
  return result.data;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

/** Zod's messages, in the words of a config file. Unknown keys come back one per line (`key\tmessage`). */
const errorMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'unrecognized_keys': {
      const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      const known = Object.keys(shape ?? {});
      return issue.keys.map((k) => {
        const guess = suggestKey(k, known);
        return `${k}\tunknown key${guess ? ` (did you mean "${guess}"?)` : ''}`;
      }).join('\n');
    }
    case 'invalid_union': {
      if (issue.discriminator === undefined) return undefined;
      const type = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator];
      const known = (issue.options as unknown[] | undefined ?? []).map(String).join(', ');
      return type === undefined ? `is required (one of: ${known})`
        : `unknown channel type ${JSON.stringify(type)} (known: ${known})`;
    }
    case 'invalid_key':
      return issue.issues[0]?.message ?? 'is not a valid key';
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : undefined;
    default:
      return undefined;
  }
};

function toProblems(issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.message.split('\n').map((line) => {
      const tab = line.indexOf('\t');
      return { path: [...issue.path, line.slice(0, tab)] as ConfigPath, message: line.slice(tab + 1) };
    });
  }
  const path = issue.path as ConfigPath;
  if (issue.message.startsWith('expected ')) return [{ path, message: issue.message, got: { value: issue.input } }];
  return [{ path, message: issue.message }];
}

/** A value whose `${…}` failed would only produce confusing errors downstream: report the cause alone. */
function dropFollowOns(problems: Problem[], causes: Problem[]): Problem[] {
  const broken = causes.map((c) => formatPath(c.path));
  return problems.filter((p) => {
    if (causes.includes(p)) return true;
    const at = formatPath(p.path);
    return !broken.some((b) => at === b || at.startsWith(`${b}.`) || at.startsWith(`${b}[`));
  });
}

/** Where a problem sits in the file: its node, or the nearest enclosing one for a missing key. */
function offsetOf(path: ConfigPath, doc: Document): number {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return node.range[0];
  }
  return -1;
}

function inFileOrder(problems: Problem[], doc: Document): Problem[] {
  return problems
    .map((p, i) => ({ p, i, at: offsetOf(p.path, doc) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.p);
}
