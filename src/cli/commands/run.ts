/** `leakwatch run`: the daemon in the foreground. */
import { Writable } from 'node:stream';
import { configFrom, parse } from '../args.js';
import { configSecrets } from '../../config/secrets.js';
import { createLogger } from '../../log/log.js';
import { Daemon } from '../../daemon/daemon.js';
import type { Config } from '../../config/schema.js';

export default async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {});
  let config = configFrom(values);
  // Every secret value of the config is masked wherever it would appear in a log line.
  const secrets = configSecrets(config);
  const crashAfter = process.env.LEAKWATCH_CRASH_AFTER_LOG;
  const log = createLogger({ level: config.log.level, format: config.log.format, secrets, stream: crashAfter ? crashingStream(crashAfter) : undefined });
  // One service's bad data must never take the daemon down: a stray rejection is logged, not fatal.
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: String((reason as Error)?.stack ?? reason) }));
  const daemon = new Daemon(config, log);
  // Handlers go in before start: a signal that arrives between the "leakwatch started" line and
  // their installation would otherwise meet the OS default (SIGHUP and SIGTERM terminate). Until
  // start returns, a stop waits for it and a reload is refused (nothing to reload yet).
  let started = false;
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    if (started) daemon.stop().then(() => finish(0), () => finish(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (!started) {
      log.warn('reload refused: leakwatch is still starting; send SIGHUP again once it has started');
      return;
    }
    let next: Config;
    try {
      next = configFrom(values);
    } catch (err) {
      log.error('reload refused: the new configuration is invalid; keeping the running one', { errors: (err as Error).message });
      return;
    }
    config = next;
    configSecrets(next, secrets);
    daemon.reload(config).catch((err) => log.error('reload failed', { error: (err as Error).message }));
  });
  try {
    await daemon.start();
  } catch (err) {
    // Whatever had started is stopped again: with no timer, socket or worker left, the process
    // exits 1, and a supervisor (systemd Restart=on-failure) sees the failure.
    log.error('leakwatch failed to start', { error: (err as Error).message });
    return 1;
  }
  started = true;
  // A stop asked for during start-up runs now.
  if (stopping) daemon.stop().then(() => finish(0), () => finish(1));
  return finished;
}

/**
 * For crash tests (test/integration/outbox-crash.test.ts): stderr that SIGKILLs this process right
 * after writing the first line containing `text`, e.g. 'msg="incident opened"'. A kill at a named
 * point of the code, not at a guessed moment.
 */
function crashingStream(text: string): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      process.stderr.write(chunk);
      if (chunk.toString('utf8').includes(text)) process.kill(process.pid, 'SIGKILL');
      done();
    },
  });
}
