#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node
// MALLOC_ARENA_MAX=2: two malloc arenas instead of one per thread, read by glibc before Node
// starts, so it rides on the executable. The daemon's V8 settings are daemon-v8.ts's.
/** leakwatch command line: dispatches to one module per command. Exit codes: 0 ok, 1 user error, 2 usage. */
import { UsageError, UserError } from './argv.js';
import { setDaemonV8Flags } from './daemon-v8.js';

const USAGE = `leakwatch — leak-detection watchdog for Go services

Usage: leakwatch <command> [options]          (every command takes --config FILE;
                                               default $LEAKWATCH_CONFIG, then /etc/leakwatch/leakwatch.yaml)
Commands:
  run                                 run the daemon in the foreground (SIGTERM/SIGINT stop, SIGHUP reloads)
  check-config                        validate the configuration; print every error with its path
  status [--json]                     per service: state, last scrape, latest values, trends, open incidents
  incidents [--json] [--service S]    incidents with their top growth and alert deliveries
  diff SERVICE [--from T] [--to T] [--sample TYPE] [--json] [-o FILE.pb.gz]
                                      top growth functions between two stored profiles
  diff BASE.pb.gz NEW.pb.gz [--sample TYPE] [--json] [-o FILE.pb.gz]
                                      the same for two profile files (as go tool pprof -top -diff_base)
  explain SERVICE [--json]            where the process's memory is (RSS / Sys / heap)
  replay --service S --trace FILE.jsonl [--json]
                                      run the daemon's detector over a recorded trace
  export-trace SERVICE [-o FILE.jsonl]
                                      stored samples in the trace format
  test-alert [--channel NAME]         send a clearly marked test message

T is an ISO time, a relative time (-2h) or a stored profile id.
`;

type Command = (argv: string[]) => Promise<number>;
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  run: () => import('./commands/run.js'),
  'check-config': () => import('./commands/check-config.js'),
  status: () => import('./commands/status.js'),
  incidents: () => import('./commands/incidents.js'),
  diff: () => import('./commands/diff.js'),
  explain: () => import('./commands/explain.js'),
  replay: () => import('./commands/replay.js'),
  'export-trace': () => import('./commands/export-trace.js'),
  'test-alert': () => import('./commands/test-alert.js'),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`leakwatch ${pkg.version}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`leakwatch: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  // Before the daemon's modules load: loading them alone grows V8's young generation.
  if (name === 'run') setDaemonV8Flags();
  const cmd = (await load()).default;
  return cmd(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`leakwatch: ${err.message}\n(see leakwatch --help)\n`);
      process.exitCode = 2;
    } else if (err instanceof UserError) {
      process.stderr.write(`leakwatch: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`leakwatch: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
