/**
 * The daemon's V8 settings (`leakwatch run`), set by main.ts before the daemon's modules load.
 * A watchdog should be small:
 *  - the young generation stays at V8's initial 1 MB semi-spaces (`--semi-space-growth-factor=1`;
 *    V8 grows them to 16 MB under load, and loading the daemon's modules alone takes them to 8);
 *  - the old generation may grow by 30 % of what survived the last full GC before the next one,
 *    where V8's own factor lets it double (`--heap-growing-percent=30`: a restart's first
 *    judgements of 200 services promoted ~15 MB of short-lived data and peaked at 102–106 MB);
 *  - V8 sizes the old generation conservatively (`--optimize-for-size`) and keeps hot code in the
 *    baseline tier instead of TurboFan (`--no-opt`): about 10 MB less RSS at 200 targets for about
 *    40 % more CPU (2–3 % of a core either way at a 15 s schedule). `LEAKWATCH_V8_SPEED=1` keeps
 *    V8's defaults for these two.
 * V8 reads each of them as it works (on Node 20), so setting them at run time takes effect, for
 * `run` only (`--max-semi-space-size` is read once at start-up, hence the growth factor):
 * one-shot commands (`replay` of a week runs a judgement every few hundred microseconds) keep V8's
 * defaults and their speed. The executable's `#!` line adds MALLOC_ARENA_MAX=2, which glibc reads
 * before Node starts.
 */
import { setFlagsFromString } from 'node:v8';

export function setDaemonV8Flags(): void {
  const memory = '--semi-space-growth-factor=1 --heap-growing-percent=30';
  setFlagsFromString(process.env.LEAKWATCH_V8_SPEED === '1' ? memory : `${memory} --optimize-for-size --no-opt`);
}
