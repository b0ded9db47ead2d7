import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool, QueryConfig } from 'pg';
import { DataSource } from 'typeorm';
import {
  IdempotencyModule,
  IdempotencyStore,
  PostgresIdempotencyStore,
  RestartTransactionError,
  type StoredResponse,
} from '../../lib/index.js';
import { newKey } from '../support/keys.js';
import { createTestDatabase, throughPooler, type TestDatabase } from '../support/postgres.js';

const RESPONSE: StoredResponse = { status: 201, headers: {}, body: Buffer.from('{}') };

function request(key: string) {
  return { scope: 'fallback', key, fingerprint: 'fp', ttlSeconds: 60, lockTimeoutSeconds: 30 };
}

function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/** The names of the statements sent through `pool` while `fn` runs (`undefined`: unnamed). */
async function namesSentBy(pool: Pool, fn: () => Promise<unknown>) {
  const query = jest.spyOn(pool, 'query');
  try {
    await fn();
    return query.mock.calls.map(([config]) => (config as unknown as QueryConfig).name);
  } finally {
    query.mockRestore();
  }
}

// The two SQLSTATEs a transaction pooler gives named statements, provoked on one server
// connection of PostgreSQL itself (a pool of one, on the direct URL): a statement of the name
// that is already there (42P05), and one that the server dropped after the client prepared it
// (26000). That they are what PgBouncer gives is shown by test/pooler/pgbouncer.pooler-spec.ts.
describe('PostgresIdempotencyStore: falling back from named statements', () => {
  let db: TestDatabase;
  const dataSources: DataSource[] = [];
  const warn = jest.spyOn(Logger.prototype, 'warn');

  async function storeOnOneConnection() {
    const dataSource = await new DataSource({
      type: 'postgres',
      url: db.directUrl,
      extra: { max: 1 },
    }).initialize();
    dataSources.push(dataSource);
    return {
      store: new PostgresIdempotencyStore(dataSource),
      pool: poolOf(dataSource),
      dataSource,
    };
  }

  async function rows(key: string) {
    return (await db.query('SELECT status FROM idempotency_keys WHERE key = $1', [key])).rows;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    warn.mockRestore();
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
    await db?.drop();
  });

  it('runs a claim that met 42P05 (already exists) once more unnamed: claimed once, and every later statement unnamed', async () => {
    const { store, pool } = await storeOnOneConnection();
    await pool.query('PREPARE idempotency_claim AS SELECT 1');
    const key = newKey();
    let outcome;
    const names = await namesSentBy(pool, async () => {
      outcome = await store.claim(request(key));
    });
    expect(outcome).toMatchObject({ state: 'claimed' });
    expect(names).toEqual(['idempotency_claim', undefined]);
    expect(await rows(key)).toEqual([{ status: 'in_progress' }]);

    const later = await namesSentBy(pool, async () => {
      const replayed = await store.claim(request(key));
      expect(replayed.state).toBe('in_progress');
      await store.purgeExpired();
    });
    expect(later).toEqual([undefined, undefined]);
  });

  it('logs one warning that names the cause and says no request failed', () => {
    const messages = warn.mock.calls.map(([message]) => String(message));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('"idempotency_claim" with SQLSTATE 42P05');
    expect(messages[0]).toContain('PgBouncer in transaction mode');
    expect(messages[0]).toContain('no request failed');
  });

  it('runs a completion that met 26000 (does not exist) once more unnamed: completed once, and no second warning', async () => {
    const { store, pool } = await storeOnOneConnection();
    const claimed = async (key: string) => {
      const outcome = await store.claim(request(key));
      if (outcome.state !== 'claimed') throw new Error('expected a claim');
      return outcome.claim;
    };
    await store.complete(await claimed(newKey()), RESPONSE); // the client now counts both prepared
    const key = newKey();
    const claim = await claimed(key);
    await pool.query('DEALLOCATE ALL');
    let completed;
    const names = await namesSentBy(pool, async () => {
      completed = await store.complete(claim, RESPONSE);
    });
    expect(completed).toBe(true);
    expect(names).toEqual(['idempotency_complete', undefined]);
    expect(await rows(key)).toEqual([{ status: 'completed' }]);
    expect(await namesSentBy(pool, () => store.claim(request(key)))).toEqual([undefined]);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('does not retry other errors, and keeps naming its statements after them', async () => {
    const { store, pool } = await storeOnOneConnection();
    await pool.query('ALTER TABLE idempotency_keys RENAME TO idempotency_keys_away');
    try {
      const names = await namesSentBy(pool, () =>
        expect(store.claim(request(newKey()))).rejects.toMatchObject({ code: '42P01' }),
      );
      expect(names).toEqual(['idempotency_claim']);
    } finally {
      await pool.query('ALTER TABLE idempotency_keys_away RENAME TO idempotency_keys');
    }
    expect(await namesSentBy(pool, () => store.claim(request(newKey())))).toEqual([
      'idempotency_claim',
    ]);
  });

  it('sends the transactional claim named, on the connection of the transaction', async () => {
    const { store, dataSource } = await storeOnOneConnection();
    const key = newKey();
    const prepared = await dataSource.transaction(async (manager) => {
      const outcome = await store.claimInTransaction(request(key), manager, 0);
      expect(outcome.state).toBe('claimed');
      return (await manager.query('SELECT name FROM pg_prepared_statements')) as unknown[];
    });
    expect(prepared).toEqual([{ name: 'idempotency_claim_in_transaction' }]);
  });

  it('answers a transactional claim that met 42P05 with RestartTransactionError: the transaction leaves nothing, and the next one claims unnamed', async () => {
    const { store, pool, dataSource } = await storeOnOneConnection();
    await pool.query('PREPARE idempotency_claim_in_transaction AS SELECT 1');
    const key = newKey();
    const aborted = dataSource.transaction((manager) =>
      store.claimInTransaction(request(key), manager, 0),
    );
    await expect(aborted).rejects.toBeInstanceOf(RestartTransactionError);
    await expect(aborted).rejects.toMatchObject({ cause: { code: '42P05' } });
    expect(await rows(key)).toEqual([]);

    await dataSource.transaction(async (manager) => {
      const outcome = await store.claimInTransaction(request(key), manager, 0);
      expect(outcome.state).toBe('claimed');
      // Only the statement of the test: the claim went unnamed.
      expect(await manager.query('SELECT name FROM pg_prepared_statements')).toEqual([
        { name: 'idempotency_claim_in_transaction' },
      ]);
    });
    expect(await rows(key)).toEqual([{ status: 'in_progress' }]);
    expect(await namesSentBy(pool, () => store.claim(request(newKey())))).toEqual([undefined]);
  });

  it(
    throughPooler
      ? 'through PgBouncer: 200 concurrent claims and completions all succeed, and end unnamed'
      : 'directly on PostgreSQL: 200 concurrent claims and completions stay named, one round trip each',
    async () => {
      const dataSource = await new DataSource({ type: 'postgres', url: db.url }).initialize();
      dataSources.push(dataSource);
      const store = new PostgresIdempotencyStore(dataSource);
      const keys = Array.from({ length: 20 }, () => newKey());
      const run = () =>
        Promise.all(
          Array.from({ length: 100 }, async (_, i) => {
            const outcome = await store.claim(request(keys[i % keys.length]));
            if (outcome.state === 'claimed') await store.complete(outcome.claim, RESPONSE);
            return outcome.state;
          }),
        );
      const first = await run(); // through a pooler, the fallback happens in here
      const names = await namesSentBy(poolOf(dataSource), run);
      expect(first.filter((state) => state === 'claimed')).toHaveLength(keys.length);
      expect(new Set(names)).toEqual(new Set(throughPooler ? [undefined] : ['idempotency_claim']));
      expect(names).toHaveLength(100); // replays: one statement each
      const { rows: stored } = await db.query(
        "SELECT count(*)::int AS n FROM idempotency_keys WHERE scope = 'fallback' AND key = ANY($1) AND status = 'completed'",
        [keys],
      );
      expect(stored[0].n).toBe(keys.length);
    },
  );

  it.each([
    [{}, 'idempotency_claim'],
    [{ preparedStatements: false }, undefined],
  ])(
    'IdempotencyModule.forRoot(%p) makes a store that names its claim %p',
    async (options, name) => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot({ type: 'postgres', url: db.directUrl }),
          IdempotencyModule.forRoot(options),
        ],
      }).compile();
      try {
        const store = moduleRef.get(IdempotencyStore);
        const names = await namesSentBy(poolOf(moduleRef.get(DataSource)), () =>
          store.claim(request(newKey())),
        );
        expect(names).toEqual([name]);
      } finally {
        await moduleRef.close();
      }
    },
  );
});
