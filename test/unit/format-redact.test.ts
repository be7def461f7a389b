import { describe, expect, it } from 'vitest';
import { MASK, maskSecrets, redactFields, redactText, redactUrl } from '../../src/format/redact.js';

describe('redactUrl', () => {
  it.each([
    ['Slack webhook: the path is the credential', 'https://hooks.slack.com/services/T0123456789/B0123456789/abcdefghijklmnopqrstuvwx', 'https://hooks.slack.com/***'],
    ['SMTP with credentials', 'smtp://alice:pw@mail.example.com:587', 'smtp://***@mail.example.com:587'],
    ['SMTPS with user only', 'smtps://alice@mail.example.com', 'smtps://***@mail.example.com'],
    ['query token', 'https://x.example.com/?token=abc', 'https://x.example.com/?token=***'],
    ['target URL: path and pprof parameters kept', 'http://user:secret@host:6060/debug/pprof/heap?debug=1&token=abc', 'http://***@host:6060/debug/pprof/heap?debug=1&token=***'],
    ['fragment', 'https://h.example.com/page#access_token=xyz', 'https://h.example.com/page#***'],
    ['bare host', 'http://127.0.0.1:9470', 'http://127.0.0.1:9470'],
    ['opaque URL', 'mailto:alice@example.com', 'mailto:***'],
    ['a URL with a typo: credentials still masked, the mistake still visible', 'http://user:pw@127.0.0.1:6060:bad/debug/pprof?token=t', 'http://***@127.0.0.1:6060:bad/debug/pprof?token=***'],
    ['a Slack URL with a typo', 'https://hooks.slack.com:x/services/T/B/secret', 'https://hooks.slack.com:x/***'],
    ['not a URL', 'hooks slack com', '***'],
  ])('%s', (_d, input, want) => expect(redactUrl(input)).toBe(want));
});

describe('redactText', () => {
  it.each([
    ['URLs inside messages', 'POST https://hooks.slack.com/services/T1/B2/xyz failed: 404', 'POST https://hooks.slack.com/*** failed: 404'],
    ['credentials in a URL', 'connect smtp://bob:pw-in-msg@mail:25 failed', 'connect smtp://***@mail:25 failed'],
    ['bearer tokens', '401 for Bearer abc.def.ghi', '401 for Bearer ***'],
    ['token parameters outside a URL', 'GET /debug/vars?token=qparam1 refused', 'GET /debug/vars?token=*** refused'],
    ['ordinary text', 'heap profile: timed out after 5000 ms', 'heap profile: timed out after 5000 ms'],
  ])('%s', (_d, input, want) => expect(redactText(input)).toBe(want));

  it('masks known secrets raw, URL-encoded and JSON-escaped, longest first', () => {
    const out = redactText('a p@ss word/2 b p%40ss%20word%2F2 c "q\\"uote1"', ['p@ss word/2', 'q"uote1', 'word']);
    expect(out).toBe(`a ${MASK} b ${MASK} c "${MASK}"`);
  });

  it('never masks secrets under 4 characters (they would garble ordinary text)', () => {
    expect(maskSecrets('a pie in the sky', ['pie'])).toBe('a pie in the sky');
  });
});

describe('redactFields', () => {
  it('masks secret-named keys and strings at any depth', () => {
    expect(redactFields({ token: 't0k3n', nested: { headers: { Authorization: 'Bearer z' }, urls: ['http://u:p@h/x'] }, n: 3 })).toEqual({
      token: MASK,
      nested: { headers: { Authorization: MASK }, urls: ['http://***@h/x'] },
      n: 3,
    });
  });
});
