/** Name of the table the migration creates. */
export const IDEMPOTENCY_TABLE = 'idempotency_keys';
