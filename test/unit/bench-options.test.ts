import { describe, expect, it } from 'vitest';
import { parseOptions } from '../bench/detect-options.js';

describe('bench:detect options', () => {
  it('reads a run over a slice of a set', () => {
    const o = parseOptions(['--set', 'holdout', '--skip', '130', '--n', '300', '--threads', '1', '--verbose']);
    expect(o).toMatchObject({ set: 'holdout', skip: 130, n: 300, threads: 1, verbose: true, replay7d: false });
  });

  it('reads --dump with its two words', () => {
    expect(parseOptions(['--dump', 'restarts:11', 'r.jsonl'])).toMatchObject({ dump: { id: 'restarts:11', file: 'r.jsonl' } });
    expect(() => parseOptions(['--dump', 'restarts:11'])).toThrow(/the file is missing/);
  });

  it('refuses an option it does not know, with the usage, instead of running the whole corpus', () => {
    expect(() => parseOptions(['--set', 'tuning', '--treads', '2'])).toThrow(/Unknown option '--treads'[\s\S]*usage: npm run bench:detect/);
    expect(() => parseOptions(['tuning'])).toThrow(/unexpected argument tuning/);
    expect(() => parseOptions(['--set', 'training'])).toThrow(/--set: expected tuning, validation or holdout/);
    expect(() => parseOptions(['--n', '0'])).toThrow(/--n: expected a positive whole number/);
    expect(() => parseOptions(['--threads', '0'])).toThrow(/--threads: expected a positive whole number/);
    expect(parseOptions(['--skip', '0'])).toMatchObject({ skip: 0 });
  });

  it('answers --help with the usage, not a run', () => {
    expect(parseOptions(['--help'])).toBe('help');
    expect(parseOptions(['-h'])).toBe('help');
  });
});
