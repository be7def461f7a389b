/** `leakwatch replay --service S --trace FILE.jsonl [--json]`: the daemon's detector over a recorded trace. */
import { readFileSync } from 'node:fs';
import { configFrom, parse, printJson, UsageError, UserError } from '../args.js';
import { serviceOf } from '../service.js';
import { parseTrace } from '../../analyze/trace.js';
import { replay } from '../../analyze/replay.js';

export default async function replayCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { service: { type: 'string' }, trace: { type: 'string' }, json: { type: 'boolean' } });
  if (!values.trace) throw new UsageError('--trace FILE.jsonl is required');
  const config = configFrom(values);
  const svc = serviceOf(config, values.service as string | undefined);
  let text: string;
  try {
    text = readFileSync(values.trace as string, 'utf8');
  } catch (err) {
    throw new UserError(`reading trace: ${(err as Error).message}`);
  }
  let samples;
  try {
    samples = parseTrace(text);
  } catch (err) {
    throw new UserError(`${values.trace}: ${(err as Error).message}`);
  }
  const started = process.hrtime.bigint();
  const result = replay(samples, svc);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (values.json) {
    printJson(result);
    return 0;
  }
  process.stdout.write(`replayed ${samples.length} samples of ${svc.name} in ${ms.toFixed(0)} ms: ${result.incidents.length} incident(s)\n`);
  for (const i of result.incidents) {
    process.stdout.write(`  ${i.metric}: opened ${i.openedAt}, ${i.resolvedAt ? `resolved ${i.resolvedAt}` : 'still open'}, slope ${Math.round(i.slopePerHour)}/h\n`);
  }
  return 0;
}
