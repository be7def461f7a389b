/** `leakwatch export-trace SERVICE [-o FILE.jsonl]`: stored samples in the trace format (design §3). */
import { createWriteStream } from 'node:fs';
import { configFrom, parse } from '../args.js';
import { serviceOf } from '../service.js';
import { Store } from '../../store/index.js';
import { traceLine } from '../../analyze/trace.js';

export default async function exportTrace(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { o: { type: 'string', short: 'o' }, output: { type: 'string' } });
  const config = configFrom(values);
  const svc = serviceOf(config, positionals[0]);
  const store = Store.open(config.database);
  const file = (values.o ?? values.output) as string | undefined;
  const out = file ? createWriteStream(file) : process.stdout;
  try {
    for (const s of store.samples(svc.name)) out.write(traceLine(s) + '\n');
  } finally {
    store.close();
  }
  if (file) await new Promise<void>((ok, fail) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? fail(err) : ok())));
  return 0;
}
