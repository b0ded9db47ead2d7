import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  embeddedDataDirectory,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from '../../tools/embedded-postgres.js';

/** Name of the database the sample app uses on its embedded server. */
export const LOCAL_DATABASE_NAME = 'sample_app';

/**
 * Starts the embedded PostgreSQL kept in `dir` (initialising it on first use) and makes sure
 * the `sample_app` database exists on it. `url` points at that database.
 */
export async function startLocalDatabase(
  dir: string,
  log: (line: string) => void,
): Promise<EmbeddedDatabase> {
  await stopOrphanedServer(dir, log);
  const server = await startEmbeddedPostgres({ dir, persistent: true });
  try {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        LOCAL_DATABASE_NAME,
      ]);
      if (rowCount === 0) await client.query(`CREATE DATABASE ${LOCAL_DATABASE_NAME}`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  const url = new URL(server.url);
  url.pathname = `/${LOCAL_DATABASE_NAME}`;
  return { url: url.toString(), stop: server.stop };
}

/**
 * An app process killed with SIGKILL (the `crash` faults) cannot stop its embedded server, which
 * then keeps running with no parent and holds the data directory. Such an orphan is stopped
 * here (a fast shutdown, as `pg_ctl stop` does). A server whose parent is still a live Node.js
 * process belongs to another running app: that is an error, not something to kill.
 */
async function stopOrphanedServer(
  requestedDir: string,
  log: (line: string) => void,
): Promise<void> {
  const dir = embeddedDataDirectory(requestedDir);
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return; // stale: startEmbeddedPostgres cleans it up
  const parent = parentPid(pid);
  if (parent === undefined || isNodeProcess(parent)) {
    throw new Error(
      `The embedded PostgreSQL in ${dir} is already running (pid ${pid}, port ${portLine}), ` +
        (parent === undefined
          ? 'and this platform cannot tell who owns it. '
          : `started by process ${parent}. `) +
        `Stop that app first, or set DATABASE_URL=postgres://postgres:postgres@127.0.0.1:${portLine}/${LOCAL_DATABASE_NAME}.`,
    );
  }
  log(
    `Stopping an orphaned embedded PostgreSQL (pid ${pid}) left by an app process that was killed`,
  );
  process.kill(pid, 'SIGINT');
  for (let waited = 0; isAlive(pid); waited += 100) {
    if (waited >= 30_000)
      throw new Error(`The orphaned PostgreSQL (pid ${pid}) did not stop within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The parent of a process, from /proc (Linux); `undefined` where that cannot be read. */
function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

function isNodeProcess(pid: number): boolean {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return /(^|\/)node[^/]*$/.test(command);
  } catch {
    return false;
  }
}
