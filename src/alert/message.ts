/**
 * What an alert says, independent of where it goes: the pure core the Slack and email renderers
 * (message-slack.ts, message-email.ts) share, so both channels tell on-call the same facts.
 */
import type { Incident, Metric, ResolveReason } from '../model/incident.js';
import type { AlertEvent, AlertKind } from './types.js';
import { formatBytes, formatCount } from '../format/units.js';

export interface Fact {
  label: string;
  value: string;
}

export interface GrowthLine {
  function: string;
  /** "+12.3 MB" */
  delta: string;
  /** "45%" of the net growth, when known. */
  share?: string;
  /** "+1,234 objects", when known. */
  objects?: string;
}

export interface StackLine {
  function: string;
  /** "+1,200" */
  delta: string;
  /** "1,250" */
  count: string;
  /** Leaf first. */
  stack: string[];
}

/** Everything an alert says, already formatted for people. */
export interface AlertContent {
  kind: AlertKind;
  service: string;
  host: string;
  /** "checkout: heap growing 12.4 MB/h" — subject line and fallback text. */
  title: string;
  /** Title with a marker of the kind, for the Slack header. */
  headline: string;
  /** One or two sentences under the headline. */
  summary: string;
  facts: Fact[];
  growth: GrowthLine[];
  /** How many more growth functions the incident lists beyond `growth`. */
  moreGrowth: number;
  goroutines: StackLine[];
  /** Off-heap explanation, when the growth is outside the Go heap. */
  note?: string;
  /** Shell command on-call can paste. */
  nextStep?: string;
  dashboardUrl?: string;
  incidentId?: number;
}

/** How many rows an alert shows; the rest stays in `leakwatch incidents` and the dashboard. */
export const MAX_GROWTH_LINES = 10;
export const MAX_STACKS = 5;
export const MAX_STACK_FRAMES = 12;

function signed(s: string, n: number): string {
  return n >= 0 ? `+${s}` : s;
}

function isBytes(metric: Metric): boolean {
  return metric !== 'goroutines';
}

/** "12.4 MB/h" or "150 goroutines/h". */
export function formatRate(metric: Metric, perHour: number): string {
  return isBytes(metric) ? `${formatBytes(perHour)}/h` : `${formatCount(perHour)} goroutines/h`;
}

export function formatLevel(metric: Metric, value: number): string {
  return isBytes(metric) ? formatBytes(value) : `${formatCount(value)} goroutines`;
}

/** "99.3%"; never rounds a not-quite-certain result up to 100%. */
export function formatConfidence(c: number): string {
  const pct = c >= 1 ? 100 : Math.min(c * 100, 99.9);
  return `${pct.toFixed(pct >= 99 && pct < 100 ? 1 : 0)}%`;
}

/** "~40 min", "~5 h", "~3.5 h", "~6 d". */
export function formatHours(h: number): string {
  if (h < 1) return `~${Math.max(1, Math.round(h * 60))} min`;
  if (h < 10) return `~${Number(h.toFixed(1))} h`;
  if (h < 48) return `~${Math.round(h)} h`;
  return `~${Number((h / 24).toFixed(h < 240 ? 1 : 0))} d`;
}

const METRIC_LABEL: Record<Metric, string> = {
  heap: 'heap',
  sys: 'Sys (memory from the OS)',
  rss: 'RSS',
  goroutines: 'goroutines',
};

const METRIC_SHORT: Record<Metric, string> = { heap: 'heap', sys: 'Sys', rss: 'RSS', goroutines: 'goroutines' };

/** Quotes a service name for a shell when it is not a plain word. */
function shellArg(s: string): string {
  return /^[\w.@%+=:,/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function nextStepCommand(incident: Incident): string {
  const svc = shellArg(incident.service);
  if (incident.note !== undefined && incident.metric !== 'heap' && incident.metric !== 'goroutines') {
    return `leakwatch explain ${svc}`;
  }
  const range =
    incident.baselineProfileId !== undefined && incident.currentProfileId !== undefined
      ? ` --from ${incident.baselineProfileId} --to ${incident.currentProfileId}`
      : incident.baselineProfileId !== undefined
        ? ` --from ${incident.baselineProfileId}`
        : '';
  return `leakwatch diff ${svc}${range} -o diff.pb.gz && go tool pprof -top diff.pb.gz`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "~5 h (limit 512 MB)", "limit 512 MB reached", "no limit configured"... */
export function timeToLimit(incident: Incident): string {
  if (incident.limit === undefined) return 'no limit configured';
  const limit = formatLevel(incident.metric, incident.limit);
  if (incident.timeToLimitHours === null) return `not projected (limit ${limit})`;
  if (incident.timeToLimitHours <= 0) return `limit ${limit} reached`;
  return `${formatHours(incident.timeToLimitHours)} (limit ${limit})`;
}

function titleOf(ev: AlertEvent): string {
  const i = ev.incident;
  const what = `${i.service}: ${METRIC_SHORT[i.metric]}`;
  switch (ev.kind) {
    case 'open':
      return `${what} growing ${formatRate(i.metric, i.slopePerHour)}`;
    case 'remind':
      return `${what} still growing ${formatRate(i.metric, i.slopePerHour)}`;
    case 'resolve':
      return i.resolveReason === 'restart' ? `${what} leak resolved (process restarted)`
        : isGone(i) ? `${what} leak closed (service gone)`
        : `${what} no longer growing`;
    case 'test':
      return `test alert from ${ev.host}`;
  }
}

const HEADLINE_MARK: Record<AlertKind, string> = {
  open: '🔴 Leak:',
  remind: '🟠 Still leaking:',
  resolve: '✅ RESOLVED:',
  test: '🧪 TEST:',
};

function summaryOf(ev: AlertEvent): string {
  const i = ev.incident;
  const level = formatLevel(i.metric, i.current);
  switch (ev.kind) {
    case 'open':
    case 'remind':
      return (
        `${METRIC_LABEL[i.metric]} of ${i.service} on ${ev.host} grows by at least ` +
        `${formatRate(i.metric, i.slopePerHour)} (now ${level}).`
      );
    case 'resolve':
      return i.resolveReason === 'restart'
        ? `${i.service} on ${ev.host} restarted; the ${METRIC_SHORT[i.metric]} growth ended with the old process. Watch whether it comes back.`
        : isGone(i)
        ? `${i.service} is no longer watched (it left the discovered fleet or the configuration); the incident is closed. Its history is kept if it comes back under the same name.`
        : `${METRIC_LABEL[i.metric]} of ${i.service} on ${ev.host} stopped growing (now ${level}).`;
    case 'test':
      return `This is a test message from leakwatch on ${ev.host}. No action needed: this channel is configured correctly.`;
  }
}

function offHeapNote(i: Incident): string | undefined {
  if (i.note === undefined) return undefined;
  if (i.metric === 'heap' || i.metric === 'goroutines') return i.note;
  return `${i.note} A heap profile diff cannot explain this growth; run \`leakwatch explain ${shellArg(i.service)}\` to see where it is.`;
}

/** The facts, lines and next step of an alert, formatted; the renderers only lay them out. */
export function buildContent(ev: AlertEvent): AlertContent {
  const i = ev.incident;
  const base = {
    kind: ev.kind,
    service: i.service,
    host: ev.host,
    title: titleOf(ev),
    headline: `${HEADLINE_MARK[ev.kind]} ${titleOf(ev)}`,
    summary: summaryOf(ev),
    dashboardUrl: ev.dashboardUrl,
  };
  if (ev.kind === 'test') {
    return { ...base, facts: [{ label: 'Host', value: ev.host }], growth: [], moreGrowth: 0, goroutines: [] };
  }
  const facts: Fact[] = [
    { label: 'Service', value: i.service },
    { label: 'Host', value: ev.host },
    { label: 'Growing', value: METRIC_LABEL[i.metric] },
    { label: 'Current', value: formatLevel(i.metric, i.current) },
    { label: 'Rate', value: signed(formatRate(i.metric, i.slopePerHour), i.slopePerHour) },
    { label: 'Confidence', value: formatConfidence(i.confidence) },
    { label: 'Time to limit', value: ev.kind === 'resolve' ? 'n/a (resolved)' : timeToLimit(i) },
    { label: 'Opened', value: iso(i.openedAt) },
  ];
  if (ev.kind === 'resolve' && i.resolvedAt !== null) facts.push({ label: 'Resolved', value: iso(i.resolvedAt) });
  const growth = i.topGrowth.slice(0, MAX_GROWTH_LINES).map((g) => ({
    function: g.function,
    delta: signed(formatBytes(g.deltaBytes), g.deltaBytes),
    ...(g.share !== undefined && Number.isFinite(g.share) ? { share: `${Math.round(g.share * 100)}%` } : {}),
    ...(g.deltaObjects ? { objects: `${signed(formatCount(g.deltaObjects), g.deltaObjects)} objects` } : {}),
  }));
  const goroutines = i.topGoroutines.slice(0, MAX_STACKS).map((s) => ({
    function: s.function,
    delta: signed(formatCount(s.delta), s.delta),
    count: formatCount(s.count),
    stack: s.stack.slice(0, MAX_STACK_FRAMES),
  }));
  return {
    ...base,
    facts,
    growth: ev.kind === 'resolve' ? [] : growth,
    moreGrowth: ev.kind === 'resolve' ? 0 : Math.max(0, i.topGrowth.length - growth.length),
    goroutines: ev.kind === 'resolve' ? [] : goroutines,
    note: ev.kind === 'resolve' ? undefined : offHeapNote(i),
    nextStep: ev.kind === 'resolve' ? undefined : nextStepCommand(i),
    incidentId: i.id,
  };
}

/** Attachment names: `<service>-baseline-<id>.pb.gz`, with the service made file-name safe. */
export function profileFileName(service: string, role: 'baseline' | 'current', id: number): string {
  return `${service.replace(/[^\w.-]+/g, '_')}-${role}-${id}.pb.gz`;
}

/** A service that left the discovered fleet (design §8) or the config file; see ResolveReason. */
function isGone(i: Incident): boolean {
  return (i.resolveReason as ResolveReason | undefined) === 'gone';
}

/**
 * One incident event's stable identity, the same on every retry and after a restart:
 * `<leakwatch.7.open.0.1795687641854@web-1>`. Email sends it as the Message-ID, which many mail
 * systems use to drop a second copy (the outbox's one duplicate window, src/alert/outbox.ts).
 * Test alerts have none: each is its own message.
 */
export function alertMessageId(ev: AlertEvent): string | undefined {
  if (ev.kind === 'test' || ev.seq === undefined) return undefined;
  const i = ev.incident;
  const host = ev.host.replace(/[^A-Za-z0-9.-]/g, '-') || 'localhost';
  return `<leakwatch.${i.id}.${ev.kind}.${ev.seq}.${i.openedAt}@${host}>`;
}
