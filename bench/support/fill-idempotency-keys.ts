import pg from 'pg';
import {
  ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL,
  CREATE_IDEMPOTENCY_KEYS_SQL,
} from '../../lib/index.js';

/** Scope of every filled row. */
export const FILL_SCOPE = '|POST /growth';

/** The key of filled row `n` (1-based), as the fill computes it: md5 of the number, in hex. */
export const FILL_KEY_SQL = 'md5(g::text)';

/**
 * Creates `idempotency_keys` with the migration's DDL and fills it with `rows` completed keys,
 * the first `expired` of them past their TTL (`expires_at` one millisecond apart, growing with
 * the row number as it would with the order of arrival). Fast path: the table's indexes and constraints
 * are read from the catalog, dropped, and rebuilt after two parallel INSERT ... SELECT FROM
 * generate_series, so the table ends with exactly the migration's schema and indexes.
 * @returns seconds spent
 */
export async function fillIdempotencyKeys(
  url: string,
  rows: number,
  expired: number,
): Promise<number> {
  const started = performance.now();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(CREATE_IDEMPOTENCY_KEYS_SQL);
    await admin.query(ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL);
    const constraints = await admin.query<{ name: string; definition: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conrelid = 'idempotency_keys'::regclass AND contype IN ('p', 'u', 'x')`,
    );
    const indexes = await admin.query<{ name: string; definition: string }>(
      `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'idempotency_keys'::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`,
    );
    for (const c of constraints.rows)
      await admin.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT ${c.name}`);
    for (const i of indexes.rows) await admin.query(`DROP INDEX ${i.name}`);

    const workers = rows >= 100_000 ? 2 : 1;
    const share = Math.ceil(rows / workers);
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(
            `INSERT INTO idempotency_keys (scope, key, status, fingerprint, lock_token, response_status,
                                           response_headers, response_body, created_at, locked_until, expires_at)
             SELECT $3, ${FILL_KEY_SQL}, 'completed', repeat('f', 64), '00000000-0000-4000-8000-000000000000', 201,
                    '{"content-type": "application/json; charset=utf-8"}'::jsonb,
                    convert_to('{"id":' || g || ',"name":"bench"}', 'UTF8'),
                    e - interval '1 day', e - interval '1 day' + interval '30 seconds', e
               FROM generate_series($1::int, $2::int) AS g,
                    -- expires_at grows with g, as with the order of arrival; rows up to $4 are past it,
                    -- the others expire an hour or more after the run
                    LATERAL (SELECT now() + (g - $4::int) * interval '1 millisecond'
                                    + CASE WHEN g <= $4::int THEN interval '-1 minute' ELSE interval '1 hour' END AS e) AS t`,
            [w * share + 1, Math.min(rows, (w + 1) * share), FILL_SCOPE, expired],
          );
        } finally {
          await client.end();
        }
      }),
    );

    await admin.query(`SET maintenance_work_mem = '1GB'`);
    for (const c of constraints.rows)
      await admin.query(`ALTER TABLE idempotency_keys ADD CONSTRAINT ${c.name} ${c.definition}`);
    for (const i of indexes.rows) await admin.query(i.definition);
    // What autovacuum would have done to a table of this age: hint bits, visibility map, statistics.
    await admin.query('VACUUM (ANALYZE) idempotency_keys');
    return (performance.now() - started) / 1000;
  } finally {
    await admin.end();
  }
}
