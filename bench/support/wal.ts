import type pg from 'pg';

/** The server's current WAL position, in bytes. */
export async function walPosition(client: pg.Client | pg.Pool): Promise<bigint> {
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  const [high, low] = rows[0].lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * The next transaction id the server will hand out (without taking one). Only a transaction
 * that writes gets an id, so the difference over a round is the number of commits (and
 * rollbacks of writing transactions) on the whole server in between.
 */
export async function nextTransactionId(client: pg.Client | pg.Pool): Promise<bigint> {
  const { rows } = await client.query<{ xid: string }>(
    'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid',
  );
  return BigInt(rows[0].xid);
}
