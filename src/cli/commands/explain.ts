/** `leakwatch explain SERVICE [--json]`: where the process's memory is, from the latest sample. */
import { configFrom, parse, printJson, UserError } from '../args.js';
import { serviceOf } from '../service.js';
import { Store } from '../../store/index.js';
import { explain, formatExplanation } from '../../analyze/explain.js';
import { liveHeapFromLatestProfile } from '../../views/explain.js';

export default async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
  const config = configFrom(values);
  const svc = serviceOf(config, positionals[0]);
  const store = Store.open(config.database);
  try {
    const sample = store.latestMemStats(svc.name) ?? store.latestSample(svc.name);
    if (!sample) throw new UserError(`no samples of ${svc.name} yet: is the daemon running and the target reachable?`);
    const e = explain(svc.name, sample, { liveHeapFromProfile: liveHeapFromLatestProfile(store, svc.name, Date.now()) });
    if (values.json) printJson(e);
    else process.stdout.write(formatExplanation(e) + '\n');
    return 0;
  } finally {
    store.close();
  }
}
