import { describe, expect, it, vi } from 'vitest';
import {
  formatBytes, formatCount, formatDuration, formatRate, parseDuration, parseRate, parseSize, type Rate,
} from '../../src/format/units.js';

describe('parseDuration', () => {
  const good: [string | number, number][] = [
    ['500ms', 500],
    ['15s', 15_000],
    ['5m', 300_000],
    ['6h', 21_600_000],
    ['1d', 86_400_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
    ['1.5h', 5_400_000],
    [' 15s ', 15_000],
    ['0', 0],
    [0, 0],
  ];
  it.each(good)('%j is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  const bad: (string | number)[] = ['', 'fast', '15', 15, '5 seconds', '-5s', '1h 30m', 's', '5x', '1.h', 'ms'];
  it.each(bad)('%j is rejected with a hint', (text) => {
    expect(() => parseDuration(text)).toThrow('expected a duration like "15s", "5m" or "1h30m"');
  });
});

describe('parseSize', () => {
  const good: [string | number, number][] = [
    ['512KB', 512_000],
    ['512KiB', 524_288],
    ['10MB', 10_000_000],
    ['10MiB', 10_485_760],
    ['2GB', 2_000_000_000],
    ['2GiB', 2_147_483_648],
    ['1TB', 1e12],
    ['1TiB', 1024 ** 4],
    ['100B', 100],
    ['1024', 1024],
    [4096, 4096],
    ['1.5GiB', 1_610_612_736],
    ['10 MB', 10_000_000],
    ['64mib', 67_108_864],
    ['3kb', 3000],
  ];
  it.each(good)('%j is %d bytes', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it('KB and KiB differ the way their names say', () => {
    expect(parseSize('1KB')).toBe(1000);
    expect(parseSize('1KiB')).toBe(1024);
    expect(parseSize('1MiB') / parseSize('1MB')).toBeCloseTo(1.048576, 6);
  });

  const bad: (string | number)[] = ['lots', '10M', '10 megs', '-1MB', 'MB', '', 1.5, -3, '10MBps'];
  it.each(bad)('%j is rejected with a hint', (text) => {
    expect(() => parseSize(text)).toThrow('expected a size like "512KB", "10MB" or "2GiB"');
  });
});

describe('parseRate', () => {
  const good: [string, Rate][] = [
    ['10MB/h', { value: 10_000_000, unit: 'bytes' }],
    ['10MiB/h', { value: 10_485_760, unit: 'bytes' }],
    ['1MB/m', { value: 60_000_000, unit: 'bytes' }],
    ['1KB/s', { value: 3_600_000, unit: 'bytes' }],
    ['24MB/d', { value: 1_000_000, unit: 'bytes' }],
    ['2%/h', { value: 2, unit: 'percent' }],
    ['0.5%/m', { value: 30, unit: 'percent' }],
    ['100/h', { value: 100, unit: 'count' }],
    ['10/min', { value: 600, unit: 'count' }],
    ['2400/day', { value: 100, unit: 'count' }],
    ['10 MB / h', { value: 10_000_000, unit: 'bytes' }],
  ];
  it.each(good)('%j', (text, rate) => {
    const r = parseRate(text);
    expect(r.unit).toBe(rate.unit);
    expect(r.value).toBeCloseTo(rate.value, 6);
  });

  const bad = ['fast', '10MB', '10MB/y', '/h', '%/h', 'MB/h', '10 megs/h', '-5MB/h'];
  it.each(bad)('%j is rejected with a hint', (text) => {
    expect(() => parseRate(text)).toThrow('expected a rate like "10MB/h"');
  });
});

describe('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [512, '512 B'],
    [999, '999 B'],
    [1000, '1 KB'],
    [1234, '1.23 KB'],
    [412_000_000, '412 MB'],
    [412_345_678, '412 MB'],
    [41_234_567, '41.2 MB'],
    [999_999, '1 MB'],
    [2_147_483_648, '2.15 GB'],
    [-5_100_000, '-5.1 MB'],
    [3e15, '3 PB'],
  ];
  it.each(cases)('%d is %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it('round-trips through parseSize within the rounding of three digits', () => {
    for (const n of [1_234, 67_108_864, 3_221_225_472]) {
      expect(Math.abs(parseSize(formatBytes(n)) - n) / n).toBeLessThan(0.005);
    }
  });
});

describe('formatCount', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [7, '7'],
    [999, '999'],
    [1_000, '1,000'],
    [1_234.6, '1,235'],
    [-20_000, '-20,000'],
    [1_234_567_890, '1,234,567,890'],
    [NaN, 'NaN'],
  ];
  it.each(cases)('%d is %s', (n, text) => expect(formatCount(n)).toBe(text));

  // Intl's first use maps ICU's data into the daemon (~8 MB of RSS): a dashboard view must not.
  it('does not use Intl', () => {
    const spy = vi.spyOn(Number.prototype, 'toLocaleString');
    const intl = vi.spyOn(Intl, 'NumberFormat');
    try {
      formatCount(1_234_567);
      expect(spy).not.toHaveBeenCalled();
      expect(intl).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
      intl.mockRestore();
    }
  });
});

describe('formatRate', () => {
  const cases: [Rate, string][] = [
    [{ value: 10_000_000, unit: 'bytes' }, '10 MB/h'],
    [{ value: 1_234_567, unit: 'bytes' }, '1.23 MB/h'],
    [{ value: 2, unit: 'percent' }, '2%/h'],
    [{ value: 12.345, unit: 'percent' }, '12.3%/h'],
    [{ value: 100, unit: 'count' }, '100/h'],
    [{ value: 1234.4, unit: 'count' }, '1234/h'],
  ];
  it.each(cases)('%j is %s', (rate, text) => expect(formatRate(rate)).toBe(text));

  it('prints what parseRate reads back', () => {
    for (const text of ['10 MB/h', '2%/h', '100/h']) expect(formatRate(parseRate(text))).toBe(text);
  });
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [500, '500ms'],
    [15_000, '15s'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [3_600_000, '1h'],
    [108_000_000, '1d6h'],
    [86_400_000 + 60_000, '1d'],
  ];
  it.each(cases)('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('prints what parseDuration reads back', () => {
    for (const text of ['15s', '1m30s', '1h30m', '1d6h']) expect(formatDuration(parseDuration(text))).toBe(text);
  });
});
