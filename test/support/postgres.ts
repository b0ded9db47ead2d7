import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL,
  CREATE_IDEMPOTENCY_KEYS_SQL,
} from '../../lib/index.js';

/**
 * Whether this file runs in a pooler project (`test/support/pooler-project.mjs`): the apps under
 * test then connect through PgBouncer in transaction mode.
 */
export const throughPooler =
  (globalThis as { __THROUGH_PGBOUNCER__?: boolean }).__THROUGH_PGBOUNCER__ === true;

/** A database of its own for one test file, on the server of the run. */
export interface TestDatabase {
  /** What the apps under test connect to: through PgBouncer in a pooler project. */
  url: string;
  /**
   * The database on PostgreSQL itself, for what must see its own server connections (statistics
   * flushed when a backend exits, `pg_stat_activity`), which a pooler keeps open and shares.
   */
  directUrl: string;
  name: string;
  /** Runs SQL on the test database, straight on PostgreSQL. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  /** Closes this helper's pool and drops the database. */
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error(
      'DATABASE_URL is not set: run the tests through `npm test` (jest globalSetup starts PostgreSQL)',
    );
  return url;
}

/** Where the apps under test reach the server: PgBouncer's address in a pooler project. */
function appServerUrl(): string {
  if (!throughPooler) return serverUrl();
  const url = process.env.POOLER_URL;
  if (!url)
    throw new Error(
      `This project runs through PgBouncer, which is not running: ${process.env.POOLER_UNAVAILABLE ?? 'POOLER_URL is not set (see test/support/pooler-global-setup.mjs)'}`,
    );
  return url;
}

/** URL of another database on the same server, as the apps under test reach it. */
export function databaseUrl(name: string, server = appServerUrl()): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Creates an empty database; with `migrate` (default true), the idempotency_keys table and its
 * in-flight index too.
 */
export async function createTestDatabase(
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  // Created on PostgreSQL itself: PgBouncer passes any database name through (`*`).
  const directUrl = databaseUrl(name, serverUrl());
  const pool = new pg.Pool({ connectionString: directUrl, max: 4 });
  // pool.end() resolves before its connections have closed, so the DROP ... WITH (FORCE) below
  // may terminate one that is still closing; unheard, that error would fail the test file.
  pool.on('error', () => undefined);
  if (options.migrate ?? true) {
    await pool.query(CREATE_IDEMPOTENCY_KEYS_SQL);
    await pool.query(ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL);
  }
  return {
    url: databaseUrl(name),
    directUrl,
    name,
    query: (sql, params) => pool.query(sql, params),
    drop: async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: serverUrl() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
