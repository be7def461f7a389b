/**
 * From a discovered target to a service: the template names it and gives its URLs, the first
 * rule whose matchers all hold sets its settings over `defaults:` (design §8). Pure.
 */
import type { LabelMatcher, ServiceOrigin } from '../config/fleet.js';
import { resolveService, type FleetConfig, type ServiceConfig, type Settings } from '../config/schema.js';
import { expandTemplate, type Labels } from './template.js';

/** A target as a discovery source reports it: labels (with `instance`), and the source's name. */
export interface Target {
  labels: Labels;
  source: string;
  samplesFrom?: ServiceOrigin['samplesFrom'];
}

export function matches(matchers: readonly LabelMatcher[], labels: Labels): boolean {
  return matchers.every((m) => {
    const v = labels[m.label] ?? '';
    return 'equals' in m ? v === m.equals : m.regex.test(v);
  });
}

/** The settings of the first matching rule, or none. */
export function ruleFor(rules: FleetConfig['rules'], labels: Labels): Settings | undefined {
  return rules.find((r) => matches(r.match, labels))?.settings;
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/@-]*$/;

/** The service for a target, or why there is none (a missing label, a bad name or URL). */
export function serviceFor(target: Target, fleet: FleetConfig): { service: ServiceConfig } | { error: string } {
  const expanded: Record<string, string | undefined> = {};
  for (const key of ['name', 'pprof', 'metrics', 'expvar'] as const) {
    const text = fleet.template[key];
    if (text === undefined) continue;
    const r = expandTemplate(text, target.labels);
    if ('missing' in r) return { error: `template.${key} needs label "${r.missing}", which the target lacks` };
    expanded[key] = r.value;
  }
  const name = expanded.name!;
  if (!SERVICE_NAME.test(name)) return { error: `template.name gives "${name}", not a usable service name` };
  for (const key of ['pprof', 'metrics', 'expvar'] as const) {
    const url = expanded[key];
    if (url !== undefined && !isHttpUrl(url)) return { error: `template.${key} gives "${url}", not an http(s) URL` };
  }
  const settings = ruleFor(fleet.rules, target.labels) ?? {};
  const pprof = expanded.pprof?.replace(/\/+$/, '');
  const service = resolveService({ ...settings, name, pprof, metrics: expanded.metrics, expvar: expanded.expvar }, fleet.defaults, fleet.baseDir);
  const origin: ServiceOrigin = { labels: target.labels, source: target.source, ...(target.samplesFrom ? { samplesFrom: target.samplesFrom } : {}) };
  return { service: { ...service, origin } };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
