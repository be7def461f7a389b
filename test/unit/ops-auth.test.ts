import { describe, expect, it } from 'vitest';
import { assertListenAllowed, bearerMatches, isLoopbackHost, parseListen } from '../../src/web/auth.js';

describe('parseListen', () => {
  const cases: [string, { host: string; port: number } | 'error'][] = [
    ['127.0.0.1:9470', { host: '127.0.0.1', port: 9470 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:9470', { host: '::1', port: 9470 }],
    [':9470', { host: '0.0.0.0', port: 9470 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['9470', 'error'],
    ['host:99999', 'error'],
    ['::1:9470', 'error'],
  ];
  for (const [input, want] of cases) {
    it(`${input} -> ${JSON.stringify(want)}`, () => {
      if (want === 'error') expect(() => parseListen(input)).toThrow(/http\.listen: expected host:port/);
      else expect(parseListen(input)).toEqual(want);
    });
  }
});

describe('isLoopbackHost', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true], ['127.8.9.10', true], ['::1', true], ['localhost', true], ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false], ['::', false], ['10.0.0.5', false], ['192.168.1.2', false], ['example.com', false], ['128.0.0.1', false],
  ];
  for (const [host, want] of cases) it(`${host} -> ${want}`, () => expect(isLoopbackHost(host)).toBe(want));
});

describe('assertListenAllowed', () => {
  it('allows loopback without a token', () => expect(assertListenAllowed('127.0.0.1:9470', undefined).port).toBe(9470));
  it('refuses a public address without a token, naming the key to set', () => {
    expect(() => assertListenAllowed('0.0.0.0:9470', undefined)).toThrow(/not a loopback address; set http\.token/);
    expect(() => assertListenAllowed(':9470', '')).toThrow(/http\.token/);
  });
  it('allows a public address with a token', () => expect(assertListenAllowed('0.0.0.0:9470', 't').host).toBe('0.0.0.0'));
});

describe('bearerMatches', () => {
  const cases: [string | undefined, boolean][] = [
    ['Bearer s3cret', true], ['bearer s3cret', true], ['Bearer  s3cret ', true],
    ['Bearer s3cre', false], ['Bearer s3cret2', false], ['Basic s3cret', false], ['s3cret', false], ['', false], [undefined, false],
  ];
  for (const [header, want] of cases) it(`${JSON.stringify(header)} -> ${want}`, () => expect(bearerMatches(header, 's3cret')).toBe(want));
});
