import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL,
  CREATE_IDEMPOTENCY_KEYS_SQL,
} from '../../lib/index.js';

/** A database of its own for one test file, on the server of the run. */
export interface TestDatabase {
  url: string;
  name: string;
  /** Runs SQL on the test database. */
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

/** URL of another database on the same server. */
export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
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
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // pool.end() resolves before its connections have closed, so the DROP ... WITH (FORCE) below
  // may terminate one that is still closing; unheard, that error would fail the test file.
  pool.on('error', () => undefined);
  if (options.migrate ?? true) {
    await pool.query(CREATE_IDEMPOTENCY_KEYS_SQL);
    await pool.query(ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL);
  }
  return {
    url,
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
