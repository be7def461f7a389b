/** Argument parsing shared by the commands: node:util parseArgs, usage errors exit 2; --config loading. */
import { loadConfig, defaultConfigPath } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { UsageError, UserError } from './argv.js';
import { Store } from '../store/index.js';
import { watchedServices } from '../views/discovered.js';

export * from './argv.js';

export function configFrom(values: Record<string, unknown>): Config {
  const path = typeof values.config === 'string' ? values.config : defaultConfigPath(process.env);
  try {
    return loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(`${path}: invalid configuration:\n${err.errors.map((e) => `  ${e}`).join('\n')}`);
    throw new UserError(`${path}: ${(err as Error).message}`);
  }
}

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
