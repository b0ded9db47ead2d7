import { rmSync } from 'node:fs';
import pg from 'pg';
import { embeddedDataDirectory, startEmbeddedPostgres } from '../tools/embedded-postgres.js';

/** What the `idempotency_keys` table looks like at one moment. */
export interface KeysTableSample {
  rows: number;
  /** Rows past their TTL that the purge has not deleted yet. */
  expired: number;
  /** `pg_total_relation_size`: heap, indexes and TOAST. */
  bytes: number;
  /** Rows deleted since the server started (`n_tup_del`): the purge's work. */
  deleted: number;
}

/** The soak's own PostgreSQL: an embedded server in a throwaway directory. */
export interface SoakDatabase {
  /** URL of the `soak` database, for the app processes. */
  url: string;
  version: string;
  pool: pg.Pool;
  /** Undefined while the table does not exist yet (before the first app migrated). */
  keysTable(): Promise<KeysTableSample | undefined>;
  /** Stops the server and deletes its files. */
  close(): Promise<void>;
}

const KEYS_TABLE_SQL = `
SELECT (SELECT count(*) FROM idempotency_keys) AS rows,
       (SELECT count(*) FROM idempotency_keys WHERE expires_at <= now()) AS expired,
       pg_total_relation_size('idempotency_keys') AS bytes,
       (SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'idempotency_keys') AS deleted`;

/** Starts an embedded PostgreSQL (default durability) in `dir` and creates the `soak` database. */
export async function openSoakDatabase(dir: string): Promise<SoakDatabase> {
  const server = await startEmbeddedPostgres({ dir, persistent: false });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  let version: string;
  try {
    await admin.query('CREATE DATABASE soak');
    version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0].v;
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = '/soak';
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  let closing = false;
  // pool.end() resolves before its connections have closed: the server's shutdown may reach them.
  pool.on('error', (error) => {
    if (!closing) process.stderr.write(`[soak] database pool: ${error.message}\n`);
  });
  return {
    url: url.toString(),
    version,
    pool,
    async keysTable() {
      const exists = await pool.query(`SELECT to_regclass('idempotency_keys') AS t`);
      if (exists.rows[0].t === null) return undefined;
      const { rows } = await pool.query<Record<keyof KeysTableSample, string>>(KEYS_TABLE_SQL);
      return {
        rows: Number(rows[0].rows),
        expired: Number(rows[0].expired),
        bytes: Number(rows[0].bytes),
        deleted: Number(rows[0].deleted ?? 0),
      };
    },
    async close() {
      closing = true;
      await pool.end();
      await server.stop();
      // embedded-postgres deletes it too, unless its own exit hook stopped the server first.
      rmSync(embeddedDataDirectory(dir), { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
