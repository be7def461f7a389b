/**
 * Where the benches find the repository: its root (fixtures, Go sources) and the product's build.
 * The benches run as test/bench/*.ts under vitest and compiled as .bench/test/bench/*.js
 * (`npm run bench:build`), at different depths: the root is the nearest folder up with package.json.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** The product's compiled CLI (`npm run build`): what benches that run the daemon start. */
export const PRODUCT_CLI = join(ROOT, 'dist/cli/main.js');
