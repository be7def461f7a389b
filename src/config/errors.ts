/**
 * Config errors: every problem names its path (`services[2].thresholds.heapGrowth: …`), all of
 * them are reported at once, and values that may be secrets are never echoed back.
 */
import { redactText } from '../format/redact.js';

export type ConfigPath = readonly (string | number)[];

/** Thrown by parseConfig/loadConfig; `errors` holds one line per problem, in file order. */
export class ConfigError extends Error {
  readonly errors: string[];

  constructor(errors: string[]) {
    super(errors.join('\n'));
    this.name = 'ConfigError';
    this.errors = errors;
  }
}

/** One problem before formatting: where, what, and (optionally) the offending value. */
export interface Problem {
  path: ConfigPath;
  message: string;
  /** Set when the message is `expected …`: formatting appends `, got <value>`. */
  got?: { value: unknown };
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `services[2].thresholds.heapGrowth`, `channels.ops-slack`, `headers["X Y"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? 'config' : out;
}

/** Keys whose values may be credentials: their values never appear in messages. */
const SECRET_KEYS = new Set(['webhookUrl', 'smtp', 'token', 'headers']);

function isSecretPath(path: ConfigPath): boolean {
  return path.some((seg) => typeof seg === 'string' && SECRET_KEYS.has(seg));
}

/** How a value is described in a message; `templates` maps interpolated paths to their source text. */
export function describeValue(
  value: unknown,
  path: ConfigPath,
  templates: ReadonlyMap<string, string>,
): string {
  if (value === undefined) return 'nothing';
  if (isSecretPath(path)) return 'a value';
  const template = templates.get(formatPath(path));
  // Interpolated values come from the environment or secret files: show the reference, not the value.
  if (template !== undefined) return `the value of ${JSON.stringify(template)}`;
  if (value === null) return 'null (an empty value)';
  if (typeof value === 'string') return JSON.stringify(truncate(redactText(value)));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function formatProblem(p: Problem, templates: ReadonlyMap<string, string>): string {
  const got = p.got ? `, got ${describeValue(p.got.value, p.path, templates)}` : '';
  return `${formatPath(p.path)}: ${p.message}${got}`;
}

/** Closest known key within edit distance 2, for "did you mean" hints. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
