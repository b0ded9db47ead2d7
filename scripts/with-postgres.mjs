// Runs a command with DATABASE_URL pointing at one throwaway embedded PostgreSQL, started here
// and stopped when the command ends (or on Ctrl-C), unless DATABASE_URL is already set:
//   node scripts/with-postgres.mjs <command> [args...]
// For long runs of many Jest processes (mutation testing), which would otherwise each start a
// server of their own in Jest's global set-up. Needs `npm run build:tools` first.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-postgres.mjs <command> [args...]');
  process.exit(2);
}

let database;
if (!process.env.DATABASE_URL) {
  const helper = new URL('../build/tools/embedded-postgres.js', import.meta.url);
  if (!existsSync(helper)) {
    console.error('build/ is missing: run `npm run build:tools` first');
    process.exit(2);
  }
  const { startEmbeddedPostgres } = await import(helper.href);
  database = await startEmbeddedPostgres({
    dir: mkdtempSync(join(tmpdir(), 'idempotency-mutation-pg-')),
    persistent: false,
    // As in test/support/global-setup.mjs: durability is not under test.
    flags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  process.env.DATABASE_URL = database.url;
}

const child = spawn(command, args, { stdio: 'inherit', shell: false });
// Ctrl-C reaches the child too (same process group): wait for it to end, then stop the server.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const code = await new Promise((resolve) => {
  child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  child.on('error', (error) => {
    console.error(error.message);
    resolve(1);
  });
});
await database?.stop();
process.exit(code);
