/**
 * Traces recorded from the real Go programs (src/bench/record-traces.ts, test/fixtures/traces)
 * replayed through the daemon's detector with the settings in each sidecar: a normal service
 * opens nothing; a leak opens one incident, on its metric, after it began, none on any other
 * metric, and keeps it open while it grows (every recorded leak grows to the end).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/analyze/replay.js';
import { parseTrace } from '../../src/analyze/trace.js';
import type { TraceTruth } from '../bench/go-programs.js';
import { parseConfig } from '../../src/config/load.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/traces');

const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.truth.json'))
  .sort()
  .map((f) => {
    const name = f.replace(/\.truth\.json$/, '');
    const truth = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as TraceTruth;
    return { name, truth };
  });

/** The sidecar's settings as a one-service config (JSON is YAML), resolved by the real schema. */
function serviceFor(name: string, truth: TraceTruth) {
  const config = { services: [{ name, pprof: 'http://127.0.0.1:1/debug/pprof', ...truth.service }] };
  return parseConfig(JSON.stringify(config), { path: join(DIR, 'replay.yaml'), env: {} }).services[0];
}

describe('replay of traces recorded from real Go programs', () => {
  it('has traces of normal services and of leaks on every metric kind', () => {
    expect(cases.filter((c) => !c.truth.positive).length).toBeGreaterThanOrEqual(4);
    expect(new Set(cases.map((c) => c.truth.metric))).toEqual(new Set([null, 'heap', 'goroutines', 'rss']));
  });

  it.each(cases.map((c) => [c.name, c.truth.shape, c.truth] as const))('%s (%s)', (name, _shape, truth) => {
    const samples = parseTrace(readFileSync(join(DIR, `${name}.jsonl`), 'utf8'));
    const { incidents } = replay(samples, serviceFor(name, truth));
    const seen = incidents.map((i) => `${i.metric} opened=${i.openedAt} resolved=${i.resolvedAt}`);
    if (!truth.positive) {
      expect(seen).toEqual([]);
      return;
    }
    expect(incidents.map((i) => `${i.metric} resolved=${i.resolvedAt}`), seen.join('; ')).toEqual([`${truth.metric} resolved=null`]);
    expect(Date.parse(incidents[0].openedAt), `opened before the leak began (${new Date(truth.onsetMs!).toISOString()}): ${seen[0]}`).toBeGreaterThanOrEqual(truth.onsetMs!);
  });
});
