import { spawnSync } from 'node:child_process';

/** Builds dist/ once so tests that spawn `leakwatch` run the real compiled CLI. */
export default function setup(): void {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (r.status !== 0) {
    // tsc still emits on type errors; tests that spawn the CLI will show what broke.
    console.warn('*** tsc reported type errors (see above) ***');
  }
}
