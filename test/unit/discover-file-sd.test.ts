import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expandGlob, FileDiscovery, globToRegExp, parseFileSd } from '../../src/discover/file-sd.js';

describe('parseFileSd', () => {
  it('JSON: each target gets its group labels and instance = its address', () => {
    const text = JSON.stringify([
      { targets: ['10.0.0.1:8080', '10.0.0.2:8080'], labels: { job: 'api', env: 'prod' } },
      { targets: ['10.0.0.3:9090'] },
    ]);
    expect(parseFileSd(text, '/t/a.json')).toEqual([
      { labels: { job: 'api', env: 'prod', instance: '10.0.0.1:8080' }, source: 'file:/t/a.json' },
      { labels: { job: 'api', env: 'prod', instance: '10.0.0.2:8080' }, source: 'file:/t/a.json' },
      { labels: { instance: '10.0.0.3:9090' }, source: 'file:/t/a.json' },
    ]);
  });

  it('YAML, and an explicit instance label wins over the address', () => {
    const text = '- targets: [h:1]\n  labels: { job: w, instance: web-1 }\n';
    expect(parseFileSd(text, '/t/b.yaml')).toEqual([{ labels: { job: 'w', instance: 'web-1' }, source: 'file:/t/b.yaml' }]);
  });

  it('an empty file has no targets', () => {
    expect(parseFileSd('', '/t/c.yml')).toEqual([]);
  });

  const bad: [string, string, string][] = [
    ['/t/a.json', '[{"targets": [', '/t/a.json: not valid JSON'],
    ['/t/a.yaml', 'targets: [a]', '/t/a.yaml: expected a list of target groups'],
    ['/t/a.yaml', '- targets: a:1', '/t/a.yaml: [0].targets: expected a list of "host:port" strings'],
    ['/t/a.yaml', '- targets: [a:1]\n  lables: {}', '/t/a.yaml: [0].lables: unknown key'],
    ['/t/a.yaml', '- targets: [a:1]\n  labels: { job: 3 }', '/t/a.yaml: [0].labels.job: expected a string'],
    ['/t/a.yaml', '- targets: [a:1]\n  labels: { "bad-name": x }', '/t/a.yaml: [0].labels.bad-name: not a label name'],
  ];
  for (const [path, text, want] of bad) {
    it(`rejects with the path: ${want}`, () => expect(() => parseFileSd(text, path)).toThrow(want));
  }
});

describe('globs', () => {
  it('matches within the last path component', () => {
    const re = globToRegExp('*.json');
    expect(['a.json', 'b.yaml', '.json', 'a.json.bak'].map((n) => re.test(n))).toEqual([true, false, true, false]);
    expect(globToRegExp('t?-[ab].y*ml').test('t1-a.yaml')).toBe(true);
    expect(globToRegExp('t?-[ab].y*ml').test('t1-c.yaml')).toBe(false);
  });
});

describe('FileDiscovery', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the globbed files, keeps a bad file\'s last good targets and reports its path, re-reads on change', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lw-filesd-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, JSON.stringify([{ targets: ['h:1'], labels: { job: 'x' } }]));
    writeFileSync(b, '- targets: [h:2]\n  labels: { job: y }\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a target file');
    expect(expandGlob(join(dir, '*.json'))).toEqual([a]);

    const errors: string[] = [];
    let changed: () => void = () => undefined;
    const fd = new FileDiscovery([join(dir, '*.json'), join(dir, '*.yaml')], { onChange: () => changed(), onError: (m) => errors.push(m) });
    fd.start();
    try {
      expect(fd.targets().map((t) => t.labels.instance).sort()).toEqual(['h:1', 'h:2']);

      const afterChange = new Promise<void>((ok) => (changed = ok));
      writeFileSync(a, '[{"targets": ["h:1", ');
      await afterChange;
      expect(errors.at(-1)).toMatch(`${a}: not valid JSON`);
      expect(errors.at(-1)).toMatch('keeping its last good targets');
      expect(fd.targets().map((t) => t.labels.instance).sort()).toEqual(['h:1', 'h:2']);

      const again = new Promise<void>((ok) => (changed = ok));
      writeFileSync(a, JSON.stringify([{ targets: ['h:3'], labels: { job: 'x' } }]));
      await again;
      expect(fd.targets().map((t) => t.labels.instance).sort()).toEqual(['h:2', 'h:3']);

      rmSync(b);
      fd.refresh();
      expect(fd.targets().map((t) => t.labels.instance)).toEqual(['h:3']);
    } finally {
      fd.stop();
    }
  });
});
