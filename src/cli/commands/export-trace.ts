/** `leakwatch export-trace SERVICE [-o FILE.jsonl]`: stored samples in the trace format (design §3). */
import { createWriteStream } from 'node:fs';
import { configFrom, parse, serviceOf } from '../args.js';
import { Store } from '../../store/index.js';
import type { Sample } from '../../model/sample.js';

export default async function exportTrace(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { o: { type: 'string', short: 'o' }, output: { type: 'string' } });
  const config = configFrom(values);
  const svc = serviceOf(config, positionals[0]);
  const store = Store.open(config.database);
  const file = (values.o ?? values.output) as string | undefined;
  const out = file ? createWriteStream(file) : process.stdout;
  try {
    for (const s of store.samples(svc.name)) out.write(toTraceLine(s) + '\n');
  } finally {
    store.close();
  }
  if (file) await new Promise<void>((ok, fail) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? fail(err) : ok())));
  return 0;
}

/** The numeric fields of the trace format (design §3), in a stable order. */
const TRACE_FIELDS = [
  'heapAlloc', 'heapInuse', 'heapIdle', 'heapReleased', 'heapSys', 'sys', 'stackSys', 'nextGC', 'numGC', 'totalAlloc', 'goroutines', 'rss',
] as const;

/** One JSON line of the trace format: t as ISO time, processStart as ISO time. */
export function toTraceLine(s: Sample): string {
  const line: Record<string, string | number> = { t: new Date(s.t).toISOString() };
  for (const f of TRACE_FIELDS) if (s[f] !== undefined) line[f] = s[f]!;
  if (s.processStart !== undefined) line.processStart = new Date(s.processStart).toISOString();
  return JSON.stringify(line);
}
