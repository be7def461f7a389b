/**
 * A SERVICE argument of the commands that take one (diff, explain, export-trace, incidents,
 * replay). Apart from args.ts so the commands that take none do not load the store.
 */
import type { Config } from '../config/schema.js';
import { Store } from '../store/index.js';
import { watchedServices } from '../views/discovered.js';
import { UsageError, UserError } from './argv.js';

/** A configured service, or one the daemon discovered (recorded in the database, gone or not), by name. */
export function serviceOf(config: Config, name: string | undefined) {
  if (!name) throw new UsageError('a SERVICE name is required');
  const svc = config.services.find((s) => s.name === name) ?? discoveredService(config, name);
  if (!svc) {
    const discovered = config.fleet ? '; discovered ones are listed by `leakwatch status`' : '';
    throw new UserError(`unknown service "${name}" (configured: ${config.services.map((s) => s.name).join(', ') || 'none'}${discovered})`);
  }
  return svc;
}

function discoveredService(config: Config, name: string) {
  if (!config.fleet) return undefined;
  const store = Store.open(config.database);
  try {
    return watchedServices(config, store, { includeGone: true }).find((s) => s.name === name);
  } finally {
    store.close();
  }
}
