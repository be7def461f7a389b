import { describe, expect, it } from 'vitest';
import { parseWhen } from '../../src/format/time.js';
import { parseTime, UsageError } from '../../src/cli/argv.js';

const now = Date.parse('2026-12-05T12:00:00Z');

describe('parseWhen: one parser for the CLI and the API', () => {
  it.each<[string, number | undefined]>([
    ['-2h', now - 2 * 3_600_000],
    ['-1h30m', now - 90 * 60_000],
    ['-90s', now - 90_000],
    ['-1.5d', now - 36 * 3_600_000],
    ['2026-12-05T10:00:00Z', Date.parse('2026-12-05T10:00:00Z')],
    ['1764900000000', 1764900000000],
    ['-2x', undefined],
    ['yesterday', undefined],
    ['-', undefined],
  ])('%s', (text, want) => expect(parseWhen(text, now)).toBe(want));
});

describe('parseTime (CLI): digits are a profile id, the rest as parseWhen', () => {
  it('reads ids, relative and ISO times', () => {
    expect(parseTime('42', now)).toEqual({ id: 42 });
    expect(parseTime('-1h30m', now)).toEqual({ at: now - 90 * 60_000 });
    expect(parseTime('2026-12-05T10:00:00Z', now)).toEqual({ at: Date.parse('2026-12-05T10:00:00Z') });
  });
  it('refuses anything else as a usage error', () => {
    expect(() => parseTime('soon', now)).toThrow(UsageError);
  });
});
