// Child process for alert-crash.test.ts: enqueues alerts into the outbox at argv[2] (built dist/),
// starts a delivery whose send never finishes, says so, and waits to be SIGKILLed.
import BetterSqlite3 from 'better-sqlite3';
import { Outbox } from '../../dist/alert/outbox.js';
import { loadMigrations, migrate } from '../../dist/store/migrate.js';

const db = new BetterSqlite3(process.argv[2]);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');
migrate(db, loadMigrations().filter((m) => m.name === 'outbox'));

const hanging = (name, type) => ({
  name,
  type,
  target: 'hang://',
  send: () => {
    process.stdout.write('SENDING\n');
    return new Promise(() => {});
  },
});
const outbox = new Outbox({
  db,
  channels: new Map([['ops-slack', hanging('ops-slack', 'slack')], ['oncall-mail', hanging('oncall-mail', 'email')]]),
  batchSize: 1,
});
for (const id of [1, 2, 3]) {
  outbox.enqueue(
    {
      kind: 'open',
      host: 'web-1',
      incident: {
        id, service: `svc${id}`, metric: 'heap', openedAt: 1000, resolvedAt: null, slopePerHour: 5e6, confidence: 0.99,
        current: 4e8, timeToLimitHours: null, topGrowth: [], topGoroutines: [],
      },
    },
    ['ops-slack', 'oncall-mail'],
  );
}
process.stdout.write('ENQUEUED\n');
void outbox.deliverDue();
setInterval(() => {}, 1000); // stay alive until killed
