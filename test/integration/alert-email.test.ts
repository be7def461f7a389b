import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailChannel, type EmailChannelConfig } from '../../src/alert/email.js';
import { DeliveryError, type AlertPayload } from '../../src/alert/types.js';
import { goAvailable, goPprof } from '../helpers/go.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/receivers.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/pprof/out123');
const base = readFileSync(join(FIXTURES, 'base.pb.gz'));
const cur = readFileSync(join(FIXTURES, 'new.pb.gz'));

const payload: AlertPayload = {
  event: {
    kind: 'open',
    host: 'web-1',
    dashboardUrl: 'http://127.0.0.1:9470/incidents/3',
    incident: {
      id: 3, service: 'checkout', metric: 'heap', openedAt: Date.UTC(2026, 10, 26, 9), resolvedAt: null,
      slopePerHour: 12_400_000, confidence: 0.995, current: 640_000_000, limit: 2e9, timeToLimitHours: 5,
      topGrowth: [
        { function: 'main.allocSmall', deltaBytes: 17_633_884, deltaObjects: 0, share: 0.87 },
        { function: 'main.f[<T>]', deltaBytes: 2_000_000, deltaObjects: 10, share: 0.1 },
      ],
      topGoroutines: [], baselineProfileId: 41, currentProfileId: 57,
    },
  },
  profiles: { baseline: { id: 41, data: base }, current: { id: 57, data: cur } },
};

const PASSWORD = 'pa55:w/rd-very-secret';

function channel(rx: SmtpReceiver, over: Partial<EmailChannelConfig> = {}): EmailChannel {
  return new EmailChannel({ type: 'email', name: 'oncall-mail', smtp: rx.url, from: 'leakwatch@example.com', to: ['oncall@example.com'], cc: ['lead@example.com'], ...over });
}

async function sendError(ch: EmailChannel, p: AlertPayload = payload): Promise<DeliveryError> {
  const err = await ch.send(p).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

/** `go tool pprof -top` output without the Time line, which depends on the run. */
const top = (args: string[]) => goPprof(['-top', ...args]).split('\n').filter((l) => !l.startsWith('Time:')).join('\n');
const expected = (name: string) => readFileSync(join(FIXTURES, name), 'utf8').split('\n').filter((l) => !l.startsWith('Time:')).join('\n');

describe('email channel: nodemailer to a real SMTP server on loopback', () => {
  let rx: SmtpReceiver;
  beforeAll(async () => {
    rx = await startSmtpReceiver({ auth: { user: 'alice', pass: PASSWORD }, starttls: true });
  });
  afterAll(() => rx.close());

  it('delivers over STARTTLS with the URL credentials: subject, text, escaped HTML, both profiles attached', async () => {
    await channel(rx).send(payload);
    const m = rx.messages.at(-1)!;
    expect(m.secure).toBe(true);
    expect(m.user).toBe('alice');
    expect(m.envelope).toEqual({ from: 'leakwatch@example.com', to: ['oncall@example.com', 'lead@example.com'] });
    const p = m.parsed;
    expect(p.subject).toBe('[leakwatch] checkout: heap growing 12.4 MB/h');
    expect(p.text).toContain('Current:       640 MB');
    expect(p.text).toContain('+17.6 MB  main.allocSmall  (87% of growth)');
    expect(p.text).toContain('leakwatch diff checkout --from 41 --to 57 -o diff.pb.gz && go tool pprof -top diff.pb.gz');
    expect(p.html).toContain('main.f[&lt;T&gt;]');
    expect(p.html).not.toContain('main.f[<T>]');
    expect(p.html).toContain('<a href="http://127.0.0.1:9470/incidents/3">');
    expect(p.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['checkout-baseline-41.pb.gz', 'application/gzip'],
      ['checkout-current-57.pb.gz', 'application/gzip'],
    ]);
    expect(Buffer.compare(p.attachments[0].content, base)).toBe(0);
    expect(Buffer.compare(p.attachments[1].content, cur)).toBe(0);
  });

  it('a retried event keeps its Message-ID, so a mail system can drop the second copy', async () => {
    const queued = { ...payload, event: { ...payload.event, seq: 0 } };
    await channel(rx).send(queued);
    await channel(rx).send(queued);
    await channel(rx).send({ ...payload, event: { ...payload.event, kind: 'resolve' as const, seq: 0 } });
    const ids = rx.messages.slice(-3).map((m) => m.parsed.messageId);
    const opened = payload.event.incident.openedAt;
    expect(ids).toEqual([`<leakwatch.3.open.0.${opened}@web-1>`, `<leakwatch.3.open.0.${opened}@web-1>`, `<leakwatch.3.resolve.0.${opened}@web-1>`]);
  });

  it.skipIf(!goAvailable())('the attached profiles open with go tool pprof -top', async () => {
    await channel(rx).send(payload);
    const atts = rx.messages.at(-1)!.parsed.attachments;
    const dir = mkdtempSync(join(tmpdir(), 'lw-mail-'));
    try {
      const [b, c] = atts.map((a) => {
        const f = join(dir, a.filename!);
        writeFileSync(f, a.content);
        return f;
      });
      expect(top([c])).toBe(expected('expected_top_new.txt'));
      expect(top(['-diff_base', b, c])).toBe(expected('expected_top_diff_base.txt'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a wrong password is a permanent failure whose message hides the password', async () => {
    const err = await sendError(channel(rx, { smtp: rx.url.replace(encodeURIComponent(PASSWORD), 'wrong-password-123') }));
    expect(err).toMatchObject({ retryable: false, code: 'smtp_auth' });
    expect(err.message).toMatch(/^email oncall-mail via smtp:\/\/\*\*\*@127\.0\.0\.1:\d+\/\*\*\*: SMTP authentication failed \(535\)/);
    expect(err.message).not.toContain('wrong-password-123');
  });

  it('4xx is retryable, 5xx permanent', async () => {
    rx.fail(1, 451, 'Requested action aborted: local error');
    expect(await sendError(channel(rx))).toMatchObject({ retryable: true, code: 'smtp_reply' });
    rx.fail(1, 550, 'Mailbox unavailable');
    const perm = await sendError(channel(rx));
    expect(perm).toMatchObject({ retryable: false, code: 'smtp_reply' });
    expect(perm.message).toContain('refused the message with 550');
    expect(perm.message).not.toContain(PASSWORD);
  });

  it('an unreachable server is retryable', async () => {
    const gone = await startSmtpReceiver();
    const url = gone.url;
    await gone.close();
    const err = await sendError(channel(rx, { smtp: url }));
    expect(err).toMatchObject({ retryable: true, code: 'network' });
  });
});

describe('email over plain SMTP without auth', () => {
  it('sends a test message marked as such, without attachments', async () => {
    const rx = await startSmtpReceiver();
    try {
      await channel(rx, { cc: [] }).send({ event: { ...payload.event, kind: 'test' }, profiles: payload.profiles });
      const m = rx.messages[0];
      expect(m.secure).toBe(false);
      expect(m.parsed.subject).toBe('[leakwatch] TEST test alert from web-1');
      expect(m.parsed.text).toContain('No action needed');
      expect(m.parsed.attachments).toHaveLength(0);
    } finally {
      await rx.close();
    }
  });
});
