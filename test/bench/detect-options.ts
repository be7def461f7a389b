/**
 * The command line of `npm run bench:detect` (detect.ts). Strict: an option it does not know is an
 * error, not a full run of the corpus with the typo ignored (half an hour on a small machine).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { CorpusSet } from './corpus.js';

export const USAGE = `usage: npm run bench:detect -- [options]
  --set tuning|validation|holdout  which seed space (default validation: tune on tuning; holdout
                            once validation has informed a decision)
  --n N                     traces per set, balanced over classes (default: the full set)
  --skip K                  leave out each class's first K seeds (report on a slice not yet looked at)
  --class NAME              one class only
  --verbose                 one line per trace, incident times relative to the onset
  --dump CLASS:SEED FILE    write that trace (design §3 format) and its sidecar, then exit
  --replay-7d               only time the replay of one steady 7-day trace: in this process, then
                            as "leakwatch replay" in a fresh process (the built executable)
  --threads N               worker threads (default: available cores)
  --help                    this list`;

export interface Options {
  set: CorpusSet;
  n?: number;
  /** Seeds per class left out first. */
  skip: number;
  cls?: string;
  verbose: boolean;
  dump?: { id: string; file: string };
  replay7d: boolean;
  threads: number;
}

/** The options in `args`, or 'help'; throws on anything it does not know, with the usage. */
export function parseOptions(args: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: {
        set: { type: 'string' }, n: { type: 'string' }, skip: { type: 'string' }, class: { type: 'string' },
        verbose: { type: 'boolean' }, dump: { type: 'string' }, 'replay-7d': { type: 'boolean' },
        threads: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${USAGE}`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  // --dump takes two words: the trace and the file it goes to.
  const dumpFile = v.dump !== undefined ? positionals.shift() : undefined;
  if (v.dump !== undefined && dumpFile === undefined) throw new Error(`--dump CLASS:SEED FILE.jsonl: the file is missing\n${USAGE}`);
  if (positionals.length) throw new Error(`unexpected argument ${positionals[0]}\n${USAGE}`);
  const set = v.set ?? 'validation';
  if (set !== 'tuning' && set !== 'validation' && set !== 'holdout') throw new Error(`--set: expected tuning, validation or holdout, got ${set}`);
  const count = (k: 'n' | 'skip' | 'threads', text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || (k !== 'skip' && Number(text) === 0)) throw new Error(`--${k}: expected a ${k === 'skip' ? 'whole' : 'positive whole'} number, got ${text}`);
    return Number(text);
  };
  return {
    set, n: count('n', v.n), skip: count('skip', v.skip) ?? 0, cls: v.class, verbose: v.verbose ?? false,
    dump: v.dump !== undefined && dumpFile !== undefined ? { id: v.dump, file: dumpFile } : undefined,
    replay7d: v['replay-7d'] ?? false, threads: count('threads', v.threads) ?? availableParallelism(),
  };
}
