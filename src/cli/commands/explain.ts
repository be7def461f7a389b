/** `leakwatch explain SERVICE [--json]`: where the process's memory is, from the latest sample. */
import { configFrom, parse, printJson, serviceOf, UserError } from '../args.js';
import { Store } from '../../store/index.js';
import { explain, formatExplanation } from '../../analyze/explain.js';
import { decodeProfile } from '../../profile/decode.js';
import { sampleTotals } from '../../profile/totals.js';

export default async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
  const config = configFrom(values);
  const svc = serviceOf(config, positionals[0]);
  const store = Store.open(config.database);
  try {
    const sample = store.latestSample(svc.name);
    if (!sample) throw new UserError(`no samples of ${svc.name} yet: is the daemon running and the target reachable?`);
    const e = explain(svc.name, sample, { liveHeapFromProfile: liveHeapFromLatestProfile(store, svc.name) });
    if (values.json) printJson(e);
    else process.stdout.write(formatExplanation(e) + '\n');
    return 0;
  } finally {
    store.close();
  }
}

/** inuse_space total of the newest stored heap profile: what the heap profile shows. */
function liveHeapFromLatestProfile(store: Store, service: string): number | undefined {
  const meta = store.profileNear(service, 'heap', Date.now(), 'before');
  const data = meta && store.profileData(meta.id);
  if (!data) return undefined;
  try {
    const p = decodeProfile(data);
    const i = p.sampleTypes.findIndex((t) => t.type === 'inuse_space');
    return i >= 0 ? sampleTotals(p)[i] : undefined;
  } catch {
    return undefined;
  }
}
