import type pg from 'pg';

/** The server's current WAL position, in bytes. */
export async function walPosition(client: pg.Client | pg.Pool): Promise<bigint> {
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  const [high, low] = rows[0].lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}
