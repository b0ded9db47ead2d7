// The library's own statements (not part of its public API) for the raw-`pg` floor and the
// experiments: the floor sends exactly what the library sends, and the store bench checks on the
// wire that the library's store really sends these texts.
export {
  CLAIM_IN_TRANSACTION_SQL,
  CLAIM_SQL,
  COMPLETE_SQL,
} from '../../lib/store/postgres-idempotency.store.js';

/** The handler's own work in every HTTP route and store shape: one row. */
export const INSERT_ROW_SQL = 'INSERT INTO bench_rows (name) VALUES ($1) RETURNING id';

/** The table the handler writes to. */
export const CREATE_BENCH_ROWS_SQL =
  'CREATE TABLE IF NOT EXISTS bench_rows (id serial PRIMARY KEY, name text NOT NULL)';
