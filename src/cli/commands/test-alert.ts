/** `leakwatch test-alert [--channel NAME]`: a clearly marked test message, sent now. */
import { configFrom, parse, UserError } from '../args.js';
import { createChannels, testAlert } from '../../alert/registry.js';

export default async function testAlertCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { channel: { type: 'string', multiple: true } });
  const config = configFrom(values);
  const channels = createChannels(config.channels);
  if (channels.size === 0) throw new UserError('no channels configured');
  const names = values.channel as unknown as string[] | undefined;
  const results = await testAlert(channels, names);
  for (const r of results) process.stdout.write(`${r.channel}: ${r.ok ? 'sent' : `FAILED: ${r.error}`}\n`);
  for (const ch of channels.values()) ch.close?.();
  return results.every((r) => r.ok) ? 0 : 1;
}
