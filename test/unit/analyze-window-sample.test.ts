/**
 * The daemon keeps only the detector's fields of each sample in its in-memory window. That is only
 * safe while the detector reads nothing else: fill every other field with noise and the verdicts
 * must not move.
 */
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/analyze/replay.js';
import { DETECTOR_FIELDS, windowSample } from '../../src/analyze/window-sample.js';
import { SHAPES, scenario } from '../../src/bench/scenarios.js';
import { SAMPLE_FIELDS, type Sample } from '../../src/model/sample.js';

const OTHER_FIELDS = SAMPLE_FIELDS.filter((f) => !(DETECTOR_FIELDS as readonly string[]).includes(f));

/** Every field the detector should ignore, set to a value that would move any fit that used it. */
function withNoise(samples: readonly Sample[]): Sample[] {
  return samples.map((s, i) => {
    const out: Sample = { ...s };
    for (const [k, f] of OTHER_FIELDS.entries()) out[f] = ((i * 7919 + k * 104_729) % 1000) * 1e6 + i * 1e5;
    return out;
  });
}

describe('windowSample', () => {
  it('keeps exactly the detector fields and the time', () => {
    const full = withNoise(scenario(SHAPES.find((s) => s.name === 'steady')!, 1).samples.slice(0, 1))[0]!;
    const slim = windowSample({ ...full, restart: true });
    const kept = Object.entries(slim).filter(([, v]) => v !== undefined).map(([k]) => k).sort();
    const expected = ['t', ...DETECTOR_FIELDS].filter((f) => (f === 'restart' ? true : full[f as keyof Sample] !== undefined)).sort();
    expect(kept).toEqual(expected);
    expect(OTHER_FIELDS.length).toBeGreaterThan(15);
  });

  it.each(['leak-5%/h', 'leak-restarting', 'goroutine-leak', 'rss-outside-heap', 'crash-loop'])(
    '%s: the detector decides the same on window samples as on full ones',
    (shape) => {
      const sc = scenario(SHAPES.find((s) => s.name === shape)!, 2);
      const full = withNoise(sc.samples);
      const onFull = replay(full, sc.service);
      const onSlim = replay(full.map(windowSample), sc.service);
      expect(onSlim).toEqual(onFull);
      if (sc.positive) expect(onFull.incidents.length).toBeGreaterThan(0);
    },
    60_000,
  );
});
