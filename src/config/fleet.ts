/**
 * The fleet part of the config schema (design §8): `discovery`, `template`, `rules[].match` and
 * `shard`. schema.ts composes these into the one schema; the resolved shapes are inferred here.
 */
import { isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { duration, httpUrl, wholeNumber } from './fields.js';

/** One label condition of a rule: equality, or an anchored regex (`=~prod|staging`). */
export type LabelMatcher = { label: string; equals: string } | { label: string; regex: RegExp };

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `{ job: checkout, env: "=~prod|staging" }` → matchers; a bad regex names its label. */
export function ruleMatch() {
  return z.record(z.string().regex(LABEL_NAME, 'is not a label name'), z.union([z.string(), z.number(), z.boolean()]))
    .transform((m, ctx): LabelMatcher[] => {
      const out: LabelMatcher[] = [];
      for (const [label, raw] of Object.entries(m)) {
        const v = String(raw);
        if (!v.startsWith('=~')) {
          out.push({ label, equals: v });
          continue;
        }
        try {
          // Anchored like Prometheus' =~: the whole value must match.
          out.push({ label, regex: new RegExp(`^(?:${v.slice(2)})$`) });
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: [label], input: v, message: `expected a regular expression after "=~" (${(err as Error).message})` });
        }
      }
      return out;
    });
}

const fileList = z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string().min(1)).min(1, 'needs at least one file or glob'));

/**
 * A source is `files:` or `prometheus:` (one per list item); one loose object with a check gives
 * path-named errors where a union would only say "invalid input".
 */
const sourceSchema = z.strictObject({
  files: fileList.optional(),
  prometheus: httpUrl().optional(),
  match: z.string().min(1).optional(),
  samples: z.enum(['scrape', 'prometheus']).optional(),
  timeout: duration({ positive: true }).optional(),
}).superRefine((s, ctx) => {
  if ((s.files === undefined) === (s.prometheus === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'needs exactly one of files, prometheus' });
  }
  if (s.files !== undefined) {
    for (const k of ['match', 'samples'] as const) {
      if (s[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'only applies to a prometheus source' });
    }
  }
  if (s.match !== undefined && !/^\s*[A-Za-z_:]*\s*\{.*\}\s*$/.test(s.match)) {
    ctx.addIssue({ code: 'custom', path: ['match'], message: 'expected a series selector like \'{job=~"api|checkout"}\'' });
  }
});

export const discoverySchema = z.strictObject({
  refresh: duration({ positive: true }).optional(),
  /** How long a vanished service's incidents stay open before they resolve as `gone`. */
  goneAfter: duration().optional(),
  sources: z.array(sourceSchema).min(1, 'needs at least one source'),
});

const TEMPLATE = /^(?:[^{}]|\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\})*$/;
const templateString = () => z.string().min(1).regex(TEMPLATE, 'expected text with {{label}} placeholders');

export const templateSchema = z.strictObject({
  name: templateString().optional(),
  pprof: templateString().nullish(),
  metrics: templateString().nullish(),
  expvar: templateString().nullish(),
});

export const shardSchema = z.strictObject({
  count: wholeNumber(1),
  index: wholeNumber(0),
}).superRefine((s, ctx) => {
  if (s.index >= s.count) ctx.addIssue({ code: 'custom', path: ['index'], message: `must be below count (${s.count})` });
});

export const FLEET_DEFAULTS = {
  refresh: 30_000,
  goneAfter: 10 * 60_000,
  timeout: 10_000,
  template: { name: '{{job}}/{{instance}}', pprof: 'http://{{instance}}/debug/pprof', metrics: 'http://{{instance}}/metrics' },
} as const;

export type FileSource = { kind: 'files'; files: string[] };
export type PrometheusSource = { kind: 'prometheus'; url: string; match?: string; samples: 'scrape' | 'prometheus'; timeout: number };
export type DiscoverySource = FileSource | PrometheusSource;
/** How labels become a service's name and URLs; `null` leaves a source out. */
export type ServiceTemplate = { name: string; pprof?: string; metrics?: string; expvar?: string };
export type Shard = { count: number; index: number };
/** Where a discovered service came from: its labels, the source, and where its samples come from. */
export interface ServiceOrigin {
  labels: Record<string, string>;
  /** e.g. `file:/etc/leakwatch/targets/api.json`, `prometheus:http://127.0.0.1:9090`. */
  source: string;
  /** Set when the samples come from a Prometheus (`samples: prometheus`), not from scraping. */
  samplesFrom?: { url: string; timeout: number; match?: string };
}

export function resolveDiscovery(
  d: z.output<typeof discoverySchema>,
  t: z.output<typeof templateSchema> | undefined,
  shard: z.output<typeof shardSchema> | undefined,
  baseDir: string,
) {
  const T = FLEET_DEFAULTS.template;
  const pick = (v: string | null | undefined, dflt: string | undefined) => (v === null ? undefined : v ?? dflt);
  const template: ServiceTemplate = {
    name: t?.name ?? T.name,
    pprof: pick(t?.pprof, T.pprof),
    metrics: pick(t?.metrics, T.metrics),
    expvar: pick(t?.expvar, undefined),
  };
  const sources = d.sources.map((s): DiscoverySource => s.files
    ? { kind: 'files', files: s.files.map((f) => (isAbsolute(f) ? f : resolve(baseDir, f))) }
    : { kind: 'prometheus', url: s.prometheus!.replace(/\/+$/, ''), match: s.match, samples: s.samples ?? 'scrape', timeout: s.timeout ?? FLEET_DEFAULTS.timeout });
  return {
    refresh: d.refresh ?? FLEET_DEFAULTS.refresh,
    goneAfter: d.goneAfter ?? FLEET_DEFAULTS.goneAfter,
    sources,
    template,
    shard: shard as Shard | undefined,
  };
}
