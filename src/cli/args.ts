/** Argument parsing shared by the commands: node:util parseArgs, usage errors exit 2; --config loading. */
import { loadConfig, defaultConfigPath } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { UserError } from './argv.js';

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
