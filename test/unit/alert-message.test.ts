import { describe, expect, it } from 'vitest';
import {
  buildContent,
  formatConfidence,
  formatHours,
  formatRate,
  nextStepCommand,
  profileFileName,
} from '../../src/alert/message.js';
import { formatBytes } from '../../src/format/units.js';
import { buildSlackMessage, SLACK_LIMITS } from '../../src/alert/message-slack.js';
import { buildEmailMessage } from '../../src/alert/message-email.js';
import type { AlertEvent } from '../../src/alert/types.js';
import type { Incident } from '../../src/model/incident.js';

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 7,
    service: 'checkout',
    metric: 'heap',
    openedAt: Date.UTC(2026, 10, 26, 9, 0, 0),
    resolvedAt: null,
    slopePerHour: 12_400_000,
    confidence: 0.993,
    current: 512_000_000,
    limit: 2 * 1024 ** 3,
    timeToLimitHours: 5.2,
    topGrowth: [
      { function: 'main.(*sessionStore).remember', deltaBytes: 45_000_000, deltaObjects: 12_000, share: 0.81 },
      { function: 'bytes.growSlice', deltaBytes: 9_000_000, deltaObjects: 300, share: 0.16 },
    ],
    topGoroutines: [],
    baselineProfileId: 12,
    currentProfileId: 15,
    ...over,
  };
}

const ev = (over: Partial<AlertEvent> = {}, inc: Partial<Incident> = {}): AlertEvent => ({
  kind: 'open',
  host: 'web-1',
  incident: incident(inc),
  ...over,
});

/** All text a Slack message shows, for content assertions. */
function slackAllText(e: AlertEvent): string {
  const m = buildSlackMessage(e);
  return JSON.stringify(m.blocks) + m.text;
}

describe('number formatting', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1 KB'],
    [12_400_000, '12.4 MB'],
    [512_000_000, '512 MB'],
    [2 * 1024 ** 3, '2.15 GB'],
    [-4_100_000, '-4.1 MB'],
    [999_600, '1 MB'],
  ])('formatBytes(%d) = %s', (n, want) => expect(formatBytes(n)).toBe(want));

  it.each([
    ['heap', 12_400_000, '12.4 MB/h'],
    ['rss', 1_500_000_000, '1.5 GB/h'],
    ['goroutines', 1500.4, '1,500 goroutines/h'],
  ] as const)('formatRate(%s, %d) = %s', (m, v, want) => expect(formatRate(m, v)).toBe(want));

  it.each([
    [0.5, '50%'],
    [0.993, '99.3%'],
    [0.99999, '99.9%'], // never rounded up to certainty
    [1, '100%'],
  ])('formatConfidence(%d) = %s', (c, want) => expect(formatConfidence(c)).toBe(want));

  it.each([
    [0.25, '~15 min'],
    [5.24, '~5.2 h'],
    [30.4, '~30 h'],
    [84, '~3.5 d'],
  ])('formatHours(%d) = %s', (h, want) => expect(formatHours(h)).toBe(want));
});

describe('alert content', () => {
  it('says service, host, what grows, current value, rate, confidence and time to limit', () => {
    const c = buildContent(ev());
    expect(c.title).toBe('checkout: heap growing 12.4 MB/h');
    const facts = Object.fromEntries(c.facts.map((f) => [f.label, f.value]));
    expect(facts).toMatchObject({
      Service: 'checkout',
      Host: 'web-1',
      Growing: 'heap',
      Current: '512 MB',
      Rate: '+12.4 MB/h',
      Confidence: '99.3%',
      'Time to limit': '~5.2 h (limit 2.15 GB)',
    });
    expect(c.growth[0]).toEqual({ function: 'main.(*sessionStore).remember', delta: '+45 MB', share: '81%', objects: '+12,000 objects' });
  });

  it.each([
    ['both profile ids', {}, 'leakwatch diff checkout --from 12 --to 15 -o diff.pb.gz && go tool pprof -top diff.pb.gz'],
    ['no profile ids', { baselineProfileId: undefined, currentProfileId: undefined }, 'leakwatch diff checkout -o diff.pb.gz && go tool pprof -top diff.pb.gz'],
    ['off-heap growth', { metric: 'rss', note: 'RSS grows while the Go heap is flat.' }, 'leakwatch explain checkout'],
    ['a service name a shell would split', { service: "my svc's" }, `leakwatch diff 'my svc'\\''s' --from 12 --to 15 -o diff.pb.gz && go tool pprof -top diff.pb.gz`],
  ] as const)('next step with %s', (_d, over, want) => {
    expect(nextStepCommand(incident(over as Partial<Incident>))).toBe(want);
  });

  it('says plainly that a heap diff cannot explain off-heap growth', () => {
    const c = buildContent(ev({}, { metric: 'rss', topGrowth: [], note: 'RSS grows while the Go heap is flat: memory outside the Go heap.' }));
    expect(c.note).toMatch(/outside the Go heap.*heap profile diff cannot explain.*leakwatch explain checkout/);
  });

  it('shows the time to limit honestly when it cannot be projected', () => {
    const noLimit = buildContent(ev({}, { limit: undefined, timeToLimitHours: null }));
    expect(noLimit.facts.find((f) => f.label === 'Time to limit')?.value).toBe('no limit configured');
  });

  it('a resolve message is marked, has no next step and no growth list', () => {
    const c = buildContent(ev({ kind: 'resolve' }, { resolvedAt: Date.UTC(2026, 10, 26, 12), resolveReason: 'growth-stopped' }));
    expect(c.headline).toMatch(/^✅ RESOLVED: checkout: heap no longer growing/);
    expect(c.nextStep).toBeUndefined();
    expect(c.growth).toEqual([]);
    expect(c.facts.find((f) => f.label === 'Resolved')?.value).toBe('2026-11-26T12:00:00Z');
    const restart = buildContent(ev({ kind: 'resolve' }, { resolveReason: 'restart', resolvedAt: 1 }));
    expect(restart.title).toMatch(/restarted/);
  });

  it('profile attachment names', () => {
    expect(profileFileName('checkout', 'baseline', 12)).toBe('checkout-baseline-12.pb.gz');
    expect(profileFileName('a/b c', 'current', 3)).toBe('a_b_c-current-3.pb.gz');
  });
});

describe('Slack message', () => {
  it('has a header, facts, top growth, the next step and a text fallback', () => {
    const m = buildSlackMessage(ev({ dashboardUrl: 'https://lw.example.com/incidents/7' }));
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🔴 Leak: checkout: heap growing 12.4 MB/h', emoji: true } });
    const all = JSON.stringify(m.blocks);
    expect(all).toContain('`main.(*sessionStore).remember`');
    expect(all).toContain('+45 MB · 81% of growth · +12,000 objects');
    expect(all).toContain('leakwatch diff checkout --from 12 --to 15 -o diff.pb.gz &amp;&amp; go tool pprof -top diff.pb.gz');
    expect(all).toContain('<https://lw.example.com/incidents/7|Open in the leakwatch dashboard>');
    expect(m.text).toContain('[leakwatch] checkout: heap growing 12.4 MB/h');
    expect(m.text).toContain('main.(*sessionStore).remember +45 MB');
  });

  it('no dashboard link without a dashboard URL, and never a non-http one', () => {
    expect(slackAllText(ev())).not.toContain('dashboard');
    expect(slackAllText(ev({ dashboardUrl: 'javascript:alert(1)' }))).not.toContain('dashboard');
  });

  it('shows the blocking goroutine stack and count', () => {
    const m = slackAllText(
      ev({}, {
        metric: 'goroutines',
        slopePerHour: 1200,
        current: 5400,
        topGrowth: [],
        topGoroutines: [{ function: 'main.subscribe', delta: 1200, count: 5400, stack: ['runtime.gopark', 'runtime.chanrecv1', 'main.subscribe', 'main.handler'] }],
      }),
    );
    expect(m).toContain('1,200 goroutines/h');
    expect(m).toContain('*+1,200 goroutines* (5,400 now) blocked in `main.subscribe`');
    expect(m).toContain('```runtime.gopark\\nruntime.chanrecv1\\nmain.subscribe\\nmain.handler```');
  });

  it('escapes Slack control characters in names', () => {
    const msg = buildSlackMessage(ev({}, { service: '<!channel> & co', topGrowth: [{ function: 'main.f[<T>]', deltaBytes: 1, deltaObjects: 0 }] }));
    // The header is plain_text (Slack shows it literally); everything mrkdwn must be escaped.
    const m = JSON.stringify(msg.blocks.filter((b) => b.type !== 'header')) + msg.text;
    expect(m).not.toContain('<!channel>');
    expect(m).toContain('&lt;!channel&gt; &amp; co');
    expect(m).toContain('main.f[&lt;T&gt;]');
  });

  it('stays within Slack limits for a huge incident', () => {
    const long = 'x'.repeat(5000);
    const m = buildSlackMessage(
      ev({}, {
        service: `svc-${long}`,
        topGrowth: Array.from({ length: 500 }, (_, i) => ({ function: `main.f${i}.${long}`, deltaBytes: 1e6, deltaObjects: 1, share: 0.01 })),
        topGoroutines: Array.from({ length: 200 }, (_, i) => ({ function: `main.g${i}`, delta: 5, count: 9, stack: Array(300).fill(long) })),
        note: long,
      }),
    );
    expect(m.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const b of m.blocks) {
      if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      if (b.type === 'section') {
        if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
        expect((b.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
        for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
        if (b.text) expect(b.text.text.length).toBeGreaterThan(0);
      }
    }
    expect(m.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    expect(JSON.stringify(m.blocks)).toMatch(/… and \d+ more/);
  });

  it('resolve and test messages are clearly marked', () => {
    const r = buildSlackMessage(ev({ kind: 'resolve' }, { resolvedAt: 2 }));
    expect(r.blocks[0]).toMatchObject({ type: 'header', text: { text: expect.stringMatching(/^✅ RESOLVED/) } });
    expect(r.text).toMatch(/^\[leakwatch\] RESOLVED/);
    const t = buildSlackMessage(ev({ kind: 'test' }));
    expect(t.blocks[0]).toMatchObject({ type: 'header', text: { text: expect.stringMatching(/^🧪 TEST/) } });
    expect(t.text).toMatch(/TEST/);
    expect(JSON.stringify(t.blocks)).toContain('No action needed');
    expect(JSON.stringify(t.blocks)).not.toContain('main.(*sessionStore)');
  });
});

describe('email message', () => {
  const profiles = { baseline: { id: 12, data: Buffer.from('base') }, current: { id: 15, data: Buffer.from('cur') } };

  it('subject names service, metric and rate', () => {
    expect(buildEmailMessage({ event: ev(), profiles: {} }).subject).toBe('[leakwatch] checkout: heap growing 12.4 MB/h');
    expect(buildEmailMessage({ event: ev({ kind: 'remind' }), profiles: {} }).subject).toBe('[leakwatch] REMINDER checkout: heap still growing 12.4 MB/h');
    expect(buildEmailMessage({ event: ev({ kind: 'resolve' }, { resolvedAt: 1 }), profiles: {} }).subject).toBe('[leakwatch] RESOLVED checkout: heap no longer growing');
    expect(buildEmailMessage({ event: ev({ kind: 'test' }), profiles: {} }).subject).toBe('[leakwatch] TEST test alert from web-1');
  });

  it('subject stays one header line', () => {
    expect(buildEmailMessage({ event: ev({}, { service: 'a\r\nBcc: x@evil' }), profiles: {} }).subject).not.toMatch(/[\r\n]/);
  });

  it('plain text carries the facts, growth, next step and dashboard link', () => {
    const m = buildEmailMessage({ event: ev({ dashboardUrl: 'https://lw.example.com/incidents/7' }), profiles });
    expect(m.text).toMatch(/Current: +512 MB/);
    expect(m.text).toMatch(/Rate: +\+12\.4 MB\/h/);
    expect(m.text).toMatch(/\+45 MB {2}main\.\(\*sessionStore\)\.remember {2}\(81% of growth, \+12,000 objects\)/);
    expect(m.text).toContain('leakwatch diff checkout --from 12 --to 15 -o diff.pb.gz && go tool pprof -top diff.pb.gz');
    expect(m.text).toContain('Dashboard: https://lw.example.com/incidents/7');
  });

  it('HTML escapes every dynamic value', () => {
    const m = buildEmailMessage({
      event: ev({ dashboardUrl: 'https://x.example/"><script>' }, { service: '<img src=x onerror=alert(1)>', topGrowth: [{ function: 'main.f[<T>]', deltaBytes: 1, deltaObjects: 0 }] }),
      profiles,
    });
    expect(m.html).not.toContain('<img');
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(m.html).toContain('main.f[&lt;T&gt;]');
    expect(m.html).toContain('href="https://x.example/&quot;&gt;&lt;script&gt;"');
  });

  it('attaches the baseline and current profiles when available', () => {
    const m = buildEmailMessage({ event: ev(), profiles });
    expect(m.attachments.map((a) => a.filename)).toEqual(['checkout-baseline-12.pb.gz', 'checkout-current-15.pb.gz']);
    expect(m.attachments[1].content.toString()).toBe('cur');
    expect(buildEmailMessage({ event: ev(), profiles: { current: profiles.current } }).attachments).toHaveLength(1);
  });
});
