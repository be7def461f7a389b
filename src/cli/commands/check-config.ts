import { configFrom, parse } from '../args.js';

export default async function checkConfig(argv: string[]): Promise<number> {
  const { values } = parse(argv, {});
  const config = configFrom(values);
  const channels = Object.keys(config.channels).length;
  process.stdout.write(`${config.configPath}: OK (${config.services.length} services, ${channels} channels)\n`);
  return 0;
}
