/**
 * `leakwatch diff SERVICE [--from T] [--to T]` (stored profiles) or `leakwatch diff BASE NEW` (files):
 * the rows `go tool pprof -top -diff_base BASE NEW` prints; `--json`; `-o` writes the diff as a pprof file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parse, parseTime, printJson, UsageError, UserError } from '../argv.js';
import type { ProfileMeta } from '../../store/index.js';
import { decodeProfile } from '../../profile/decode.js';
import { formatTop, topReport } from '../../profile/top.js';
import type { Profile } from '../../profile/model.js';
import type { ProfileKind } from '../../model/sample.js';

// Only what two files need is imported up front: the config loader, SQLite and the encoder
// load on demand, as they cost a cold `diff A B` more time than the diff itself.

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  sample: { type: 'string' },
  json: { type: 'boolean' },
  o: { type: 'string', short: 'o' },
  output: { type: 'string' },
} as const;

export default async function diff(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  let base: Profile;
  let next: Profile;
  let label: string;
  if (positionals.length === 2) {
    [base, next] = positionals.map((f) => decodeFile(f)) as [Profile, Profile];
    label = `${positionals[0]} → ${positionals[1]}`;
  } else if (positionals.length === 1 && !existsSync(positionals[0]!)) {
    ({ base, next, label } = await storedPair(values, positionals[0]!));
  } else {
    throw new UsageError('diff takes SERVICE, or BASE.pb.gz NEW.pb.gz');
  }
  const sampleIndex = values.sample as string | undefined;
  let report;
  try {
    report = topReport(next, { base, mode: 'diff_base', sampleIndex });
  } catch (err) {
    throw new UserError(`diffing ${label}: ${(err as Error).message}`);
  }
  const out = (values.o ?? values.output) as string | undefined;
  if (out) {
    const [{ encodeProfile }, { diffProfile }] = await Promise.all([import('../../profile/encode.js'), import('../../profile/diff.js')]);
    writeFileSync(out, encodeProfile(diffProfile(base, next)));
  }
  if (values.json) {
    printJson({
      sampleType: report.sampleType,
      unit: report.unit,
      total: report.total,
      rows: report.allRows.map((r) => ({ function: r.function, flat: r.flat, cum: r.cum })),
    });
  } else {
    process.stdout.write(formatTop(report));
    if (out) process.stderr.write(`wrote ${out}: open it with go tool pprof -top ${out}\n`);
  }
  return 0;
}

function decodeFile(path: string): Profile {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new UserError(`reading ${path}: ${(err as Error).message}`);
  }
  try {
    return decodeProfile(data);
  } catch (err) {
    throw new UserError(`${path}: ${(err as Error).message}`);
  }
}

async function storedPair(values: Record<string, unknown>, name: string): Promise<{ base: Profile; next: Profile; label: string }> {
  const [{ configFrom }, { serviceOf }, { Store }] = await Promise.all([import('../args.js'), import('../service.js'), import('../../store/index.js')]);
  const config = configFrom(values);
  const svc = serviceOf(config, name);
  const kind: ProfileKind = values.sample === 'goroutine' ? 'goroutine' : 'heap';
  const store = Store.open(config.database);
  try {
    const now = Date.now();
    const pick = (text: string | undefined, fallback: number, dir: 'before' | 'after'): ProfileMeta => {
      const t = text ? parseTime(text, now) : { at: fallback };
      const meta = 'id' in t ? store.profileMeta(t.id) : store.profileNear(svc.name, kind, t.at, dir);
      if (!meta || meta.service !== svc.name) {
        throw new UserError(`no stored ${kind} profile of ${svc.name} ${text ? `for "${text}"` : dir === 'after' ? 'in the window' : 'yet'}`);
      }
      return meta;
    };
    const from = pick(values.from as string | undefined, now - svc.window, 'after');
    const to = pick(values.to as string | undefined, now, 'before');
    if (from.id === to.id) throw new UserError(`only one ${kind} profile of ${svc.name} in that range (id ${from.id}); wait for the next capture`);
    const load = (m: ProfileMeta) => decodeProfile(store.profileData(m.id)!);
    return {
      base: load(from),
      next: load(to),
      label: `${svc.name} profiles ${from.id} (${new Date(from.t).toISOString()}) → ${to.id} (${new Date(to.t).toISOString()})`,
    };
  } finally {
    store.close();
  }
}
