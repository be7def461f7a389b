import { execFileSync } from 'node:child_process';

/** Builds dist/ once so tests that spawn `leakwatch` run the real compiled CLI. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
