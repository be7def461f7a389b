/**
 * Command-line parsing and the errors that set the exit code, without the config loader: a
 * command that needs no config (`leakwatch diff A B`) starts without loading YAML, zod or SQLite.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseWhen } from '../format/time.js';

/** A mistake on the command line: exit code 2. */
export class UsageError extends Error {}
/** Something the user must fix (bad config, unknown service): exit code 1. */
export class UserError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(argv: string[], options: Options): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { config: { type: 'string' }, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** T: an ISO time, a relative time like -2h / -1h30m, or (returned as {id}) a stored profile id. */
export function parseTime(text: string, now = Date.now()): { at: number } | { id: number } {
  if (/^\d+$/.test(text)) return { id: Number(text) };
  const at = parseWhen(text, now);
  if (at === undefined) throw new UsageError(`expected an ISO time, a relative time like -2h, or a profile id; got "${text}"`);
  return { at };
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}
