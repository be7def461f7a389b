/**
 * Checks that span several keys. They run on the raw (interpolated) tree, next to the schema
 * rather than after it, so one run reports these together with every per-field error; each
 * check looks only at values that have the right shape and leaves the rest to the schema.
 */
import type { Problem } from './errors.js';
import { isLoopbackHost, parseListen } from './fields.js';

type Tree = Record<string, unknown>;

const isTree = (v: unknown): v is Tree => v !== null && typeof v === 'object' && !Array.isArray(v);

const SOURCES = ['pprof', 'expvar', 'metrics'] as const;
const PROCESS_KEYS = ['pid', 'pidFile', 'systemdUnit'] as const;

export function crossChecks(root: unknown): Problem[] {
  if (!isTree(root)) return [];
  return [...checkServices(root), ...checkAlertReferences(root), ...checkHttp(root)];
}

function checkServices(root: Tree): Problem[] {
  const problems: Problem[] = [];
  if (root.services === undefined && root.discovery === undefined) problems.push({ path: ['services'], message: 'is required' });
  if (!Array.isArray(root.services)) return problems;
  const firstIndex = new Map<string, number>();
  root.services.forEach((s, i) => {
    if (!isTree(s)) return;
    if (typeof s.name === 'string') {
      const seen = firstIndex.get(s.name);
      if (seen !== undefined) {
        problems.push({ path: ['services', i, 'name'], message: `duplicate service name "${s.name}" (also services[${seen}])` });
      } else firstIndex.set(s.name, i);
    }
    if (SOURCES.every((k) => s[k] === undefined)) {
      problems.push({ path: ['services', i], message: 'needs at least one of pprof, expvar, metrics' });
    }
    const processKeys = PROCESS_KEYS.filter((k) => s[k] !== undefined);
    if (processKeys.length > 1) {
      problems.push({
        path: ['services', i, processKeys[1]],
        message: `set only one of pid, pidFile, systemdUnit (found ${processKeys.join(' and ')})`,
      });
    }
  });
  return problems;
}

function checkAlertReferences(root: Tree): Problem[] {
  const channels = isTree(root.channels) ? Object.keys(root.channels) : root.channels == null ? [] : undefined;
  // Channels that are not a mapping are reported by the schema; references cannot be judged.
  if (channels === undefined) return [];
  const known = new Set(channels);
  const hint = channels.length > 0 ? `defined: ${channels.join(', ')}` : 'no channels are defined';

  const check = (alert: unknown, path: (string | number)[]): Problem[] => {
    const names = typeof alert === 'string' ? [[alert, path] as const]
      : Array.isArray(alert) ? alert.map((a, i) => [a, [...path, i]] as const)
      : [];
    return names
      .filter(([name]) => typeof name === 'string' && !known.has(name))
      .map(([name, p]) => ({ path: p, message: `unknown channel "${String(name)}" (${hint})` }));
  };

  const problems: Problem[] = [];
  if (isTree(root.defaults)) problems.push(...check(root.defaults.alert, ['defaults', 'alert']));
  for (const list of ['services', 'rules'] as const) {
    const items = root[list];
    if (!Array.isArray(items)) continue;
    items.forEach((s, i) => {
      if (isTree(s)) problems.push(...check(s.alert, [list, i, 'alert']));
    });
  }
  return problems;
}

/** The dashboard and API expose service internals: off loopback they need a token. */
function checkHttp(root: Tree): Problem[] {
  if (!isTree(root.http) || (root.http.token !== undefined && root.http.token !== '')) return [];
  const listen = typeof root.http.listen === 'string' ? parseListen(root.http.listen) : undefined;
  if (listen === undefined || isLoopbackHost(listen.host)) return [];
  return [{
    path: ['http', 'token'],
    message: `is required when http.listen (${String(root.http.listen)}) is not a loopback address`,
  }];
}
