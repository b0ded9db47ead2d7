import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL,
  CREATE_IDEMPOTENCY_KEYS_SQL,
} from '../../lib/index.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../tools/embedded-postgres.js';
import { CREATE_BENCH_ROWS_SQL } from './store-sql.js';

/** The PostgreSQL server of a bench run and the databases the run made on it. */
export interface BenchDatabase {
  /** `embedded` (started for this run, default durability) or `DATABASE_URL`. */
  source: 'embedded' | 'DATABASE_URL';
  /** Creates (dropping it first if it exists) a database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Drops a database this run created (frees its disk before the next part). */
  dropDatabase(name: string): Promise<void>;
  /** Version and the settings that decide what a commit costs. */
  describe(): Promise<ServerInfo>;
  /** Drops the run's databases and stops an embedded server. Safe to call twice. */
  close(): Promise<void>;
}

export interface ServerInfo {
  version: string;
  settings: Record<string, string>;
}

const SETTINGS = [
  'fsync',
  'synchronous_commit',
  'wal_sync_method',
  'full_page_writes',
  'data_checksums',
  'shared_buffers',
  'max_wal_size',
  'commit_delay',
  'max_connections',
];

/**
 * Uses `DATABASE_URL` when set; otherwise starts an embedded PostgreSQL in a new directory under
 * `dataRoot` (the git-ignored `.bench-data/`), with the server's default durability: `fsync` and
 * `synchronous_commit` on. Its files are deleted when it stops.
 */
export async function openBenchDatabase(
  dataRoot: string,
  log: (line: string) => void,
): Promise<BenchDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let dir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    mkdirSync(dataRoot, { recursive: true });
    dir = mkdtempSync(join(dataRoot, 'pg-'));
    log(`starting embedded PostgreSQL in ${dir}`);
    embedded = await startEmbeddedPostgres({ dir, persistent: false });
    serverUrl = embedded.url;
  }
  const created: string[] = [];
  let closed = false;

  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };

  return {
    source: embedded ? 'embedded' : 'DATABASE_URL',
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await admin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${name}`);
      });
      created.push(name);
      const url = new URL(serverUrl!);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async dropDatabase(name) {
      if (!created.includes(name)) throw new Error(`${name} was not created by this run`);
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      created.splice(created.indexOf(name), 1);
    },
    describe: () =>
      admin(async (client) => {
        const version = (
          await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)
        ).rows[0].v;
        const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
          'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
          [SETTINGS],
        );
        const settings: Record<string, string> = {};
        for (const row of rows)
          settings[row.name] = row.unit ? `${row.setting} (${row.unit})` : row.setting;
        return { version, settings };
      }),
    async close() {
      if (closed) return;
      closed = true;
      if (embedded) {
        log('stopping embedded PostgreSQL');
        await embedded.stop();
        // embedded-postgres deletes it too, unless its own exit hook stopped the server first.
        rmSync(dir!, { recursive: true, force: true });
        return;
      }
      await admin(async (client) => {
        for (const name of created)
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

/** A fresh database with the library's table and the handlers' table. */
export async function benchDatabase(db: BenchDatabase, name: string): Promise<string> {
  const url = await db.createDatabase(name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(CREATE_IDEMPOTENCY_KEYS_SQL);
    await client.query(ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL);
    await client.query(CREATE_BENCH_ROWS_SQL);
  } finally {
    await client.end();
  }
  return url;
}
