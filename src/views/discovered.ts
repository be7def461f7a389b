/**
 * The services a daemon with this config watches, for readers of the database (`status`): the
 * configured ones, then the discovered ones it recorded and that have not left, with the same
 * template and rules applied to their stored labels. `includeGone` adds the ones that left (their
 * history is kept: `diff`, `explain`, `export-trace` still read it).
 */
import type { Config, ServiceConfig } from '../config/schema.js';
import { serviceFor } from '../discover/rules.js';
import type { Store } from '../store/index.js';
import { DiscoveredStore } from '../store/discovered.js';

export function watchedServices(config: Config, store: Store, opts: { includeGone?: boolean } = {}): ServiceConfig[] {
  if (!config.fleet) return config.services;
  const own = new Set(config.services.map((s) => s.name));
  const found: ServiceConfig[] = [];
  for (const d of new DiscoveredStore(store.db).list()) {
    if ((d.goneAt !== null && !opts.includeGone) || own.has(d.name)) continue;
    const r = serviceFor({ labels: d.labels, source: d.source }, config.fleet);
    // The template may have changed since: keep the recorded name, the rules' settings.
    if ('service' in r) found.push({ ...r.service, name: d.name });
  }
  return [...config.services, ...found];
}
