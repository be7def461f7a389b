import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildTarget } from '../helpers/go.js';
import { buildPromTarget, CLIENT_GOLANG } from '../helpers/prometheus.js';

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds dist/ once so tests that spawn `leakwatch` run the real compiled CLI, and meanwhile the
 * Go programs the tests start (each cached by source hash), so parallel test files find them
 * built instead of each running the same cold `go build`. A Go build that fails here is left to
 * the tests that need it, which report it (or skip when Go is missing).
 */
export default async function setup(): Promise<void> {
  const tsc = new Promise<number | null>((done) => {
    spawn('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' }).on('close', done);
  });
  if (hasGo()) {
    const builds: [string, () => string][] = [['test/go/target', buildTarget]];
    if (existsSync(CLIENT_GOLANG)) builds.push(['test/go/promtarget', buildPromTarget]);
    for (const [name, build] of builds) {
      // Sync builds: tsc runs in its own process meanwhile.
      try {
        build();
      } catch (err) {
        console.warn(`*** prebuilding ${name} failed; the tests that start it will say why: ${(err as Error).message.split('\n')[0]} ***`);
      }
    }
  }
  if ((await tsc) !== 0) {
    // tsc still emits on type errors; tests that spawn the CLI will show what broke.
    console.warn('*** tsc reported type errors (see above) ***');
  }
}
