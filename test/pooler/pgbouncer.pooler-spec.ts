// Runs first in each pooler project (test/support/pooler-project.mjs): proves that the pooler the
// suites go through is the strict case the library must handle, or, on a machine without
// pgbouncer, is the one test that says the pooler runs did not happen.
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const unavailable = process.env.POOLER_UNAVAILABLE;

if (unavailable) {
  describe('PgBouncer in transaction mode in front of the test PostgreSQL', () => {
    console.warn(`[pooler] ${unavailable}`);
    it.skip(`NOT RUN: ${unavailable}`, () => undefined);
  });
} else {
  describe('PgBouncer in transaction mode in front of the test PostgreSQL', () => {
    let db: TestDatabase;
    const clients: pg.Client[] = [];

    async function connect(): Promise<pg.Client> {
      const client = new pg.Client({ connectionString: db.url });
      clients.push(client);
      await client.connect();
      return client;
    }

    async function backend(client: pg.Client): Promise<number> {
      return (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    }

    beforeAll(async () => {
      db = await createTestDatabase({ migrate: false });
    });
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await db?.drop();
    });

    it('sends the next transaction of a client to another server connection while its last one is busy', async () => {
      const [a, b] = [await connect(), await connect()];
      const first = await backend(a);
      await b.query('BEGIN');
      expect(await backend(b)).toBe(first); // b now holds a's server connection
      expect(await backend(a)).not.toBe(first);
      await b.query('COMMIT');
    });

    it('keeps no prepared statement across them: a named statement meets 42P05 or 26000', async () => {
      const [a, b] = [await connect(), await connect()];
      const named = { name: 'pooler_probe', text: 'SELECT 1 AS one' };
      await a.query(named); // prepared on a's server connection, which b gets next
      await b.query('BEGIN');
      const failures = await Promise.allSettled([b.query(named), a.query(named)]);
      await b.query('ROLLBACK').catch(() => undefined);
      const codes = failures.map((outcome) =>
        outcome.status === 'rejected' ? (outcome.reason as { code?: string }).code : 'ok',
      );
      // b's Parse meets a's statement (42P05); a's Bind, on another connection, finds none (26000).
      expect(codes).toEqual(['42P05', '26000']);
    });
  });
}
