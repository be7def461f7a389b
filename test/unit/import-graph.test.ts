/**
 * The shape of src/: one folder per pipeline stage, imports only point down the pipeline (no
 * folder cycles), and files stay small enough to read in one sitting.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Lowest first. A folder may import from its own stage's folder and from folders listed before
 * it, never from one after it. Folders on one line are peers that must not import each other.
 */
const STAGES: string[][] = [
  ['model'], // shared value types: samples, incidents, trends
  ['format'], // leaf helpers: units and the byte formatter, redaction, time, HTML escaping
  ['log'],
  ['config'],
  ['profile'], // the pprof model, decoder and diff
  ['collect'], // scraping targets
  ['discover'], // finding targets
  ['store'],
  ['analyze'], // the detector
  ['alert'],
  ['views'], // read models for status, incidents, explain
  ['web'],
  ['daemon'], // the composition root
  ['cli', 'demo'],
];

const MAX_LINES = 300;

const rank = new Map(STAGES.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative module specifiers of every static import/export-from and dynamic import(). */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"](\.[^'"]+)['"]/g,
    /\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

const folderOf = (file: string): string => relative(SRC, file).split('/')[0]!;

const files = sourceFiles(SRC);

describe('import graph of src/', () => {
  it('finds the imports it checks', () => {
    expect(importsOf(`import { a } from './a.js';\nimport type {\n  B,\n} from '../b/b.js';\nexport * from "./c.js";\nconst d = await import('./d.js');\n// import x from '../nope.js'\n`)).toEqual([
      './a.js', '../b/b.js', './c.js', './d.js',
    ]);
    expect(files.length).toBeGreaterThan(50);
  });

  it('places every folder of src/ in a stage', () => {
    const unplaced = [...new Set(files.map(folderOf))].filter((f) => !rank.has(f));
    expect(unplaced, 'add new folders to STAGES').toEqual([]);
  });

  it('has no import from a lower stage to a higher one (so no cycle between folders)', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = folderOf(file);
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const to = folderOf(resolve(dirname(file), spec));
        if (to === from) continue;
        if (!rank.has(to) || rank.get(to)! >= rank.get(from)!) upward.push(`${relative(SRC, file)} → ${spec} (${from} → ${to})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length - 1] as const)
      .filter(([, n]) => n > MAX_LINES)
      .map(([f, n]) => `${f}: ${n} lines`);
    expect(long).toEqual([]);
  });
});
