import { configFrom, parse } from '../args.js';

export default async function checkConfig(argv: string[]): Promise<number> {
  const { values } = parse(argv, {});
  const config = configFrom(values);
  const channels = Object.keys(config.channels).length;
  const sources = config.fleet ? `, discovery from ${config.fleet.sources.length} source${config.fleet.sources.length === 1 ? '' : 's'}` : '';
  process.stdout.write(`${config.configPath}: OK (${config.services.length} services, ${channels} channels${sources})\n`);
  return 0;
}
