/**
 * The one schema of leakwatch.yaml: the YAML shape (strict: unknown keys fail), with transforms
 * to the resolved types the daemon uses (durations in ms, sizes in bytes, rates per hour,
 * `defaults:` merged into every service, relative paths resolved). All types are inferred here.
 */
import { resolve } from 'node:path';
import * as z from 'zod';
import {
  addressList, countLimit, countRate, cron, duration, emailAddress, headers, httpUrl, identifier, listenAddress,
  memoryRate, pprofUrl, size, sizeLimit, smtpUrl, wholeNumber,
} from './fields.js';
import { discoverySchema, resolveDiscovery, ruleMatch, shardSchema, templateSchema, type ServiceOrigin } from './fleet.js';
import { parseRate } from '../format/units.js';

export type { Rate } from '../format/units.js';

/** Built-in values for everything a service may leave out (design §2). */
export const BUILTIN_DEFAULTS = {
  schedule: '*/15 * * * * *',
  profileSchedule: '0 */5 * * * *',
  timeout: 5_000,
  maxBodySize: 64 * 1024 ** 2,
  window: 6 * 3_600_000,
  warmup: 15 * 60_000,
  cooldown: 3_600_000,
  lastGasp: 30 * 60_000,
  attributionWait: 30_000,
  thresholds: {
    heapGrowth: parseRate('10MB/h'),
    sysGrowth: parseRate('20MB/h'),
    rssGrowth: parseRate('20MB/h'),
    goroutineGrowth: parseRate('100/h'),
  },
  retention: { samples: 30 * 86_400_000, profiles: 7 * 86_400_000, scrapeLog: 7 * 86_400_000, pruneSchedule: '0 17 * * * *' },
  database: '/var/lib/leakwatch/leakwatch.db',
  listen: '127.0.0.1:9470',
} as const;

const thresholdsSchema = z.strictObject({
  heapGrowth: memoryRate().optional(),
  sysGrowth: memoryRate().optional(),
  rssGrowth: memoryRate().optional(),
  goroutineGrowth: countRate().optional(),
});

const limitsSchema = z.strictObject({
  heap: sizeLimit().optional(),
  sys: sizeLimit().optional(),
  rss: sizeLimit().optional(),
  goroutines: countLimit().optional(),
});

const channelList = z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string()));

/** What `defaults:` may set and every service may override. */
const inheritable = {
  schedule: cron().optional(),
  profileSchedule: cron().optional(),
  /** heap?debug=1 cadence, used only when neither expvar nor metrics gives MemStats (default: profileSchedule). */
  heapTextSchedule: cron().optional(),
  timeout: duration({ positive: true }).optional(),
  maxBodySize: size().optional(),
  window: duration({ positive: true }).optional(),
  warmup: duration().optional(),
  thresholds: thresholdsSchema.optional(),
  limits: limitsSchema.optional(),
  cooldown: duration().optional(),
  lastGasp: duration().optional(),
  attributionWait: duration().optional(),
  alert: channelList.optional(),
  headers: headers().optional(),
  gogc: wholeNumber(1).optional(),
};

const defaultsSchema = z.strictObject(inheritable);

const serviceSchema = z.strictObject({
  name: identifier('service'),
  pprof: pprofUrl().optional(),
  expvar: httpUrl().optional(),
  metrics: httpUrl().optional(),
  pid: wholeNumber(1).optional(),
  pidFile: z.string().min(1).optional(),
  systemdUnit: z.string().regex(/^[\w@.:-]+$/, 'expected a unit name like "checkout.service"').optional(),
  ...inheritable,
});

const slackSchema = z.strictObject({
  type: z.literal('slack'),
  webhookUrl: httpUrl(),
});

const emailSchema = z.strictObject({
  type: z.literal('email'),
  smtp: smtpUrl(),
  from: emailAddress(),
  to: addressList(true),
  cc: addressList(false).default([]),
});

const channelSchema = z.discriminatedUnion('type', [slackSchema, emailSchema]);

const httpSchema = z.strictObject({
  listen: listenAddress().optional(),
  // Empty means none, so `token: ${TOKEN:-}` can leave it unset.
  token: z.string().optional().transform((t) => (t === '' ? undefined : t)),
  publicUrl: httpUrl().optional(),
});

const logSchema = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  format: z.enum(['text', 'json']).optional(),
});

const retentionSchema = z.strictObject({
  samples: duration({ positive: true }).optional(),
  profiles: duration({ positive: true }).optional(),
  scrapeLog: duration({ positive: true }).optional(),
  pruneSchedule: cron().optional(),
});

/** A rule: label matchers, and the settings services matching them get over `defaults:`. */
const ruleSchema = z.strictObject({ match: ruleMatch(), ...inheritable });

const fileSchema = z.strictObject({
  database: z.string().min(1).optional(),
  http: httpSchema.optional(),
  log: logSchema.optional(),
  retention: retentionSchema.optional(),
  defaults: defaultsSchema.nullish(),
  channels: z.record(z.string(), channelSchema).nullish(),
  // Required unless discovery finds the services (checks.ts says so).
  services: z.array(serviceSchema).min(1, 'needs at least one service').optional(),
  discovery: discoverySchema.optional(),
  template: templateSchema.optional(),
  rules: z.array(ruleSchema).nullish(),
  shard: shardSchema.optional(),
});

type FileConfig = z.output<typeof fileSchema>;
type RawThresholds = z.output<typeof thresholdsSchema>;
type RawLimits = z.output<typeof limitsSchema>;

/** Enabled growth thresholds, per hour; a metric switched `off` has no key. */
export type Thresholds = { [K in keyof RawThresholds]?: Exclude<RawThresholds[K], null> };
/** Absolute ceilings for time-to-limit projection (bytes, or a goroutine count). */
export type Limits = { [K in keyof RawLimits]?: Exclude<RawLimits[K], null> };

/** Later layers override earlier ones key by key; null (`off`) removes the key. */
function mergeKeys<T extends object>(...layers: (Partial<Record<keyof T, unknown>> | null | undefined)[]): T {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) {
      if (v === null) delete out[k];
      else if (v !== undefined) out[k] = v;
    }
  }
  return out as T;
}

type ServiceInput = NonNullable<FileConfig['services']>[number];
/** What `defaults:` and a rule set, before merging. */
export type Settings = Partial<z.output<typeof defaultsSchema>>;

/** One service's resolved settings: its own keys over `defaults:` over the built-in values. */
export function resolveService(s: ServiceInput, d: Settings, baseDir: string) {
  const B = BUILTIN_DEFAULTS;
  return {
    name: s.name,
    pprof: s.pprof,
    expvar: s.expvar,
    metrics: s.metrics,
    pid: s.pid,
    pidFile: s.pidFile === undefined ? undefined : resolve(baseDir, s.pidFile),
    systemdUnit: s.systemdUnit,
    headers: s.headers ?? d.headers ?? {},
    schedule: s.schedule ?? d.schedule ?? B.schedule,
    profileSchedule: s.profileSchedule ?? d.profileSchedule ?? B.profileSchedule,
    heapTextSchedule: s.heapTextSchedule ?? d.heapTextSchedule ?? s.profileSchedule ?? d.profileSchedule ?? B.profileSchedule,
    timeout: s.timeout ?? d.timeout ?? B.timeout,
    maxBodySize: s.maxBodySize ?? d.maxBodySize ?? B.maxBodySize,
    window: s.window ?? d.window ?? B.window,
    warmup: s.warmup ?? d.warmup ?? B.warmup,
    thresholds: mergeKeys<Thresholds>(B.thresholds, d.thresholds, s.thresholds),
    limits: mergeKeys<Limits>(d.limits, s.limits),
    cooldown: s.cooldown ?? d.cooldown ?? B.cooldown,
    lastGasp: s.lastGasp ?? d.lastGasp ?? B.lastGasp,
    attributionWait: s.attributionWait ?? d.attributionWait ?? B.attributionWait,
    alert: s.alert ?? d.alert ?? [],
    gogc: s.gogc ?? d.gogc,
  };
}

function resolveConfig(f: FileConfig, configPath: string, baseDir: string) {
  const B = BUILTIN_DEFAULTS;
  const channels = Object.fromEntries(
    Object.entries(f.channels ?? {}).map(([name, c]) => [name, { ...c, name }]),
  );
  return {
    configPath,
    database: f.database === undefined ? B.database
      : f.database === ':memory:' ? ':memory:'
      : resolve(baseDir, f.database),
    http: f.http === undefined ? undefined
      : { listen: f.http.listen ?? B.listen, token: f.http.token, publicUrl: f.http.publicUrl },
    log: { level: f.log?.level ?? 'info', format: f.log?.format ?? 'text' },
    retention: {
      samples: f.retention?.samples ?? B.retention.samples,
      profiles: f.retention?.profiles ?? B.retention.profiles,
      scrapeLog: f.retention?.scrapeLog ?? B.retention.scrapeLog,
      pruneSchedule: f.retention?.pruneSchedule ?? B.retention.pruneSchedule,
    },
    channels,
    services: (f.services ?? []).map((s) => resolveService(s, f.defaults ?? {}, baseDir)),
    fleet: f.discovery === undefined ? undefined : {
      ...resolveDiscovery(f.discovery, f.template, f.shard, baseDir),
      rules: (f.rules ?? []).map(({ match, ...settings }) => ({ match, settings: settings as Settings })),
      defaults: (f.defaults ?? {}) as Settings,
      baseDir,
    },
  };
}

/** The schema for one config file; relative paths resolve against the file's folder. */
export function configSchema(configPath: string, baseDir: string) {
  return fileSchema.transform((f) => resolveConfig(f, configPath, baseDir));
}

export type Config = z.output<ReturnType<typeof configSchema>>;
/** A service's settings; a discovered one also carries its labels and where it came from. */
export type ServiceConfig = Config['services'][number] & { origin?: ServiceOrigin };
export type ChannelConfig = Config['channels'][string];
export type FleetConfig = NonNullable<Config['fleet']>;
