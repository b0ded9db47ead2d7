import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg, { type Pool, type QueryConfig } from 'pg';
import { DataSource } from 'typeorm';
import {
  PostgresIdempotencyStore,
  type ClaimRequest,
  type StoredResponse,
} from '../../lib/index.js';
import { newKey } from '../support/keys.js';
import { useTestDatabase } from '../support/use-test-database.js';

const RESPONSE: StoredResponse = {
  status: 201,
  headers: { 'content-type': 'application/octet-stream', location: '/things/1' },
  body: Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x22, 0x5c]),
};

function claimRequest(key: string, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    scope: 'store-test',
    key,
    fingerprint: 'fp-1',
    ttlSeconds: 60,
    lockTimeoutSeconds: 30,
    ...overrides,
  };
}

async function openDataSource(url: string, applicationName = 'store-test'): Promise<DataSource> {
  return new DataSource({ type: 'postgres', url, applicationName }).initialize();
}

describe('PostgresIdempotencyStore', () => {
  let dataSource: DataSource;
  let store: PostgresIdempotencyStore;
  const db = useTestDatabase({ beforeDrop: async () => dataSource?.destroy() });

  beforeAll(async () => {
    dataSource = await openDataSource(db.url);
    store = new PostgresIdempotencyStore(dataSource);
  });

  /** The whole row, with its system columns: any write changes xmin or ctid, any lock sets xmax. */
  async function row(key: string, scope = 'store-test') {
    const { rows } = await db.query(
      `SELECT xmin::text AS xmin, xmax::text AS xmax, ctid::text AS ctid, scope, key, status, fingerprint,
              lock_token, response_status, response_headers, response_body, created_at, locked_until, expires_at
         FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    return rows[0];
  }

  async function claimed(request: ClaimRequest) {
    const outcome = await store.claim(request);
    if (outcome.state !== 'claimed') throw new Error(`expected a claim, got ${outcome.state}`);
    return outcome.claim;
  }

  describe('claim, complete, release', () => {
    it('claims a new key, and reports it in progress with its fingerprint to the next claim', async () => {
      const key = newKey();
      const first = await store.claim(claimRequest(key));
      expect(first).toEqual({
        state: 'claimed',
        claim: { scope: 'store-test', key, token: expect.any(String) },
      });
      expect(await store.claim(claimRequest(key, { fingerprint: 'fp-2' }))).toEqual({
        state: 'in_progress',
        fingerprint: 'fp-1',
      });
      expect(await row(key)).toMatchObject({
        status: 'in_progress',
        fingerprint: 'fp-1',
        response_body: null,
      });
    });

    it('writes the ttl and lock timeout it is asked for', async () => {
      const key = newKey();
      await claimed(claimRequest(key, { ttlSeconds: 120, lockTimeoutSeconds: 7 }));
      const { rows } = await db.query(
        `SELECT extract(epoch FROM expires_at - created_at)::float8 AS ttl,
                extract(epoch FROM locked_until - created_at)::float8 AS lock
           FROM idempotency_keys WHERE key = $1`,
        [key],
      );
      expect(rows[0]).toEqual({ ttl: 120, lock: 7 });
    });

    it('complete() stores the response, and later claims return it byte for byte', async () => {
      const key = newKey();
      const claim = await claimed(claimRequest(key));
      expect(await store.complete(claim, RESPONSE)).toBe(true);
      const outcome = await store.claim(claimRequest(key));
      expect(outcome).toEqual({ state: 'completed', fingerprint: 'fp-1', response: RESPONSE });
      expect(outcome.state === 'completed' && outcome.response.body!.equals(RESPONSE.body!)).toBe(
        true,
      );
    });

    it('complete() keeps an empty body apart from "no body stored"', async () => {
      const [empty, none] = [newKey(), newKey()];
      await store.complete(await claimed(claimRequest(empty)), {
        status: 204,
        headers: {},
        body: Buffer.alloc(0),
      });
      await store.complete(await claimed(claimRequest(none)), {
        status: 201,
        headers: {},
        body: null,
      });
      expect(await store.claim(claimRequest(empty))).toMatchObject({
        state: 'completed',
        response: { body: Buffer.alloc(0) },
      });
      expect(await store.claim(claimRequest(none))).toMatchObject({
        state: 'completed',
        response: { body: null },
      });
    });

    it('release() forgets an in-flight claim, so the key can be claimed again', async () => {
      const key = newKey();
      const claim = await claimed(claimRequest(key));
      expect(await store.release(claim)).toBe(true);
      expect(await row(key)).toBeUndefined();
      expect((await store.claim(claimRequest(key))).state).toBe('claimed');
    });

    it('release() of a completed key returns false and keeps it', async () => {
      const key = newKey();
      const claim = await claimed(claimRequest(key));
      await store.complete(claim, RESPONSE);
      const before = await row(key);
      expect(await store.release(claim)).toBe(false);
      expect(await row(key)).toEqual(before);
    });
  });

  describe('fencing by the claim token', () => {
    it('complete() with a wrong token returns false and changes nothing', async () => {
      const key = newKey();
      const claim = await claimed(claimRequest(key));
      const before = await row(key);
      expect(await store.complete({ ...claim, token: randomUUID() }, RESPONSE)).toBe(false);
      expect(await row(key)).toEqual(before);
    });

    it('release() with a wrong token returns false and changes nothing', async () => {
      const key = newKey();
      const claim = await claimed(claimRequest(key));
      const before = await row(key);
      expect(await store.release({ ...claim, token: randomUUID() })).toBe(false);
      expect(await row(key)).toEqual(before);
    });

    it('complete() and release() of another scope return false', async () => {
      const key = newKey();
      const claim = await claimed(claimRequest(key));
      expect(await store.complete({ ...claim, scope: 'other' }, RESPONSE)).toBe(false);
      expect(await store.release({ ...claim, scope: 'other' })).toBe(false);
      expect(await row(key)).toMatchObject({ status: 'in_progress' });
    });
  });

  describe('taking over', () => {
    it('takes over an in-flight claim older than its lock timeout; the old token is fenced out', async () => {
      const key = newKey();
      const old = await claimed(claimRequest(key));
      await db.query(
        "UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1",
        [key],
      );
      const taken = await claimed(claimRequest(key, { fingerprint: 'fp-2' }));
      expect(taken.token).not.toBe(old.token);
      expect(await row(key)).toMatchObject({
        status: 'in_progress',
        fingerprint: 'fp-2',
        lock_token: taken.token,
      });

      const before = await row(key);
      expect(await store.complete(old, RESPONSE)).toBe(false);
      expect(await store.release(old)).toBe(false);
      expect(await row(key)).toEqual(before);
      expect(await store.complete(taken, RESPONSE)).toBe(true);
    });

    it('does not take over a claim within its lock timeout, even past its ttl', async () => {
      const key = newKey();
      await claimed(claimRequest(key));
      await db.query(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1",
        [key],
      );
      expect(await store.claim(claimRequest(key))).toEqual({
        state: 'in_progress',
        fingerprint: 'fp-1',
      });
    });

    it('takes over a completed key past its ttl, dropping the old response', async () => {
      const key = newKey();
      await store.complete(await claimed(claimRequest(key)), RESPONSE);
      await db.query(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1",
        [key],
      );
      const taken = await claimed(claimRequest(key, { fingerprint: 'fp-new' }));
      expect(await row(key)).toMatchObject({
        status: 'in_progress',
        fingerprint: 'fp-new',
        lock_token: taken.token,
        response_status: null,
        response_headers: null,
        response_body: null,
      });
    });

    it('lets exactly one of many concurrent claims take over a stale row', async () => {
      const key = newKey();
      await claimed(claimRequest(key));
      await db.query(
        "UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1",
        [key],
      );
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () => store.claim(claimRequest(key))),
      );
      const states = outcomes.map((outcome) => outcome.state).sort();
      expect(states).toEqual(['claimed', ...Array(9).fill('in_progress')]);
    });

    it('lets exactly one of many concurrent claims of a new key win', async () => {
      const key = newKey();
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () => store.claim(claimRequest(key))),
      );
      expect(outcomes.filter((outcome) => outcome.state === 'claimed')).toHaveLength(1);
    });
  });

  describe('preparedStatements', () => {
    it.each([
      [true, 'idempotency_claim'],
      [false, undefined],
    ])(
      'with preparedStatements: %p names the claim statement %p, and works',
      async (prepared, name) => {
        const unprepared = new PostgresIdempotencyStore(dataSource, {
          preparedStatements: prepared,
        });
        const pool = (dataSource.driver as unknown as { master: Pool }).master;
        const query = jest.spyOn(pool, 'query');
        try {
          const key = newKey();
          const outcome = await unprepared.claim(claimRequest(key));
          expect(outcome.state).toBe('claimed');
          expect((query.mock.calls[0][0] as unknown as QueryConfig).name).toBe(name);
        } finally {
          query.mockRestore();
        }
      },
    );
  });

  describe('purgeExpired(batchSize)', () => {
    it('deletes only expired rows, batchSize rows per statement', async () => {
      const scope = `purge-${randomUUID()}`;
      const insert = (key: string, status: string, expiresIn: string, lockedIn: string) =>
        db.query(
          `INSERT INTO idempotency_keys (scope, key, status, fingerprint, lock_token, locked_until, expires_at)
           VALUES ($1, $2, $3, 'fp', gen_random_uuid(), now() + $5::interval, now() + $4::interval)`,
          [scope, key, status, expiresIn, lockedIn],
        );
      for (let i = 0; i < 7; i++) await insert(`expired-${i}`, 'completed', '-1 second', '-1 hour');
      await insert('expired-abandoned-claim', 'in_progress', '-1 second', '-1 second');
      await insert('live-completed', 'completed', '1 hour', '-1 hour');
      await insert('live-claim-past-ttl', 'in_progress', '-1 second', '1 hour');
      await insert('live-claim', 'in_progress', '1 hour', '1 hour');

      // Other tests' rows in this database are all live (ttl 60 s or more).
      const pool = (dataSource.driver as unknown as { master: Pool }).master;
      const query = jest.spyOn(pool, 'query');
      try {
        expect(await store.purgeExpired(3)).toBe(8);
        const statements = query.mock.calls.map(([config]) => config as unknown as QueryConfig);
        const deletes = statements.filter(({ text }) => text.includes('DELETE'));
        expect(deletes.map(({ values }) => values)).toEqual([[3], [3], [3]]);
      } finally {
        query.mockRestore();
      }
      const { rows } = await db.query(
        'SELECT key FROM idempotency_keys WHERE scope = $1 ORDER BY key',
        [scope],
      );
      expect(rows.map((r) => r.key)).toEqual([
        'live-claim',
        'live-claim-past-ttl',
        'live-completed',
      ]);
      expect(await store.purgeExpired()).toBe(0);
    });
  });
});

// A replay must be read-only: no row lock, no new row version, no insert. Checked on a database
// of its own, whose only writers are DataSources that are closed before their counts are read
// (PostgreSQL flushes a backend's table statistics when it exits).
describe('PostgresIdempotencyStore: a replay does not write', () => {
  const db = useTestDatabase();

  /** Runs `fn` on a store of its own connections, closes them, and waits until they are gone. */
  async function withStore(fn: (store: PostgresIdempotencyStore) => Promise<void>): Promise<void> {
    const applicationName = `store-${randomUUID()}`;
    const dataSource = await openDataSource(db.url, applicationName);
    try {
      await fn(new PostgresIdempotencyStore(dataSource));
    } finally {
      await dataSource.destroy();
    }
    for (;;) {
      const { rows } = await db.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      if (rows[0].n === 0) return;
    }
  }

  async function tableWrites() {
    const { rows } = await db.query(
      `SELECT n_tup_ins::int AS inserted, n_tup_upd::int AS updated, n_tup_del::int AS deleted
         FROM pg_stat_user_tables WHERE relname = 'idempotency_keys'`,
    );
    return rows[0];
  }

  async function systemColumns(key: string) {
    const { rows } = await db.query(
      'SELECT xmin::text, xmax::text, ctid::text FROM idempotency_keys WHERE key = $1',
      [key],
    );
    return rows[0];
  }

  it('leaves xmin, ctid and xmax (0) of a completed row as they were after N claims, and writes no tuple', async () => {
    const key = newKey();
    await withStore(async (store) => {
      const outcome = await store.claim(claimRequest(key));
      if (outcome.state !== 'claimed') throw new Error('expected a claim');
      await store.complete(outcome.claim, RESPONSE);
    });
    const columnsBefore = await systemColumns(key);
    const writesBefore = await tableWrites();
    expect(columnsBefore.xmax).toBe('0');

    const N = 25;
    await withStore(async (store) => {
      for (let i = 0; i < N; i++) {
        expect((await store.claim(claimRequest(key))).state).toBe('completed');
      }
      // Concurrent replays too.
      const outcomes = await Promise.all(
        Array.from({ length: N }, () => store.claim(claimRequest(key))),
      );
      expect(outcomes.every((outcome) => outcome.state === 'completed')).toBe(true);
    });

    expect(await systemColumns(key)).toEqual(columnsBefore);
    expect(await tableWrites()).toEqual(writesBefore);
  });

  it('(control) the write counters do see a claim of a new key', async () => {
    const before = await tableWrites();
    await withStore(async (store) => {
      await store.claim(claimRequest(newKey()));
    });
    const after = await tableWrites();
    expect(after.inserted - before.inserted).toBe(1);
  });

  it('(control) xmax does see a row lock', async () => {
    const key = newKey();
    await withStore(async (store) => {
      const outcome = await store.claim(claimRequest(key));
      if (outcome.state !== 'claimed') throw new Error('expected a claim');
      await store.complete(outcome.claim, RESPONSE);
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM idempotency_keys WHERE key = $1 FOR UPDATE', [key]);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    expect((await systemColumns(key)).xmax).not.toBe('0');
  });
});
