import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg, { type Pool, type QueryConfig } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import {
  PostgresIdempotencyStore,
  type ClaimRequest,
  type StoredResponse,
} from '../../lib/index.js';
import { describeIdempotencyStore, type IdempotencyStoreHarness } from '../../lib/testing/index.js';
import { AnswerDroppingProxy } from '../support/answer-dropping-proxy.js';
import { delay } from '../support/delay.js';
import { newKey } from '../support/keys.js';
import { captureLogs } from '../support/log-capture.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
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

/**
 * The store contract runs on a database of its own: every case starts on an emptied table, which
 * would wipe the rows of the other tests here.
 */
function postgresHarness(): IdempotencyStoreHarness {
  let db: TestDatabase | undefined;
  let dataSource: DataSource | undefined;
  return {
    async create() {
      db ??= await createTestDatabase();
      dataSource ??= await openDataSource(db.url);
      await db.query('TRUNCATE idempotency_keys');
      return new PostgresIdempotencyStore(dataSource);
    },
    async elapse(seconds) {
      await db!.query(
        `UPDATE idempotency_keys
            SET created_at = created_at - make_interval(secs => $1),
                locked_until = locked_until - make_interval(secs => $1),
                expires_at = expires_at - make_interval(secs => $1)`,
        [seconds],
      );
    },
    async close() {
      await dataSource?.destroy();
      await db?.drop();
    },
  };
}

async function openDataSource(url: string, applicationName = 'store-test'): Promise<DataSource> {
  return new DataSource({ type: 'postgres', url, applicationName }).initialize();
}

describeIdempotencyStore('PostgresIdempotencyStore', postgresHarness());

// What the contract cannot see: the rows, the statements, and that refusals write nothing.
describe('PostgresIdempotencyStore: rows and statements', () => {
  let pooled: DataSource;
  let direct: DataSource;
  let store: PostgresIdempotencyStore;
  const db = useTestDatabase({
    beforeDrop: async () => Promise.all([pooled?.destroy(), direct?.destroy()]),
  });

  beforeAll(async () => {
    [pooled, direct] = await Promise.all([openDataSource(db.url), openDataSource(db.directUrl)]);
    store = new PostgresIdempotencyStore(pooled);
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

  async function claimed(request: ClaimRequest, on = store) {
    const outcome = await on.claim(request);
    if (outcome.state !== 'claimed') throw new Error(`expected a claim, got ${outcome.state}`);
    return outcome.claim;
  }

  /** Moves the key's lock or expiry into the past, as time passing would. */
  async function lapse(key: string, column: 'locked_until' | 'expires_at') {
    await db.query(
      `UPDATE idempotency_keys SET ${column} = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
  }

  describe('rows', () => {
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

    it('renew() moves locked_until to now + the lock timeout, and nothing else', async () => {
      const key = newKey();
      const claim = await claimed(claimRequest(key, { lockTimeoutSeconds: 7 }));
      const before = await row(key);
      await store.renew(claim, 45);
      const { rows } = await db.query(
        `SELECT extract(epoch FROM locked_until - now())::float8 AS lock
           FROM idempotency_keys WHERE key = $1`,
        [key],
      );
      expect(rows[0].lock).toBeGreaterThan(44);
      expect(rows[0].lock).toBeLessThanOrEqual(45);
      const after = await row(key);
      const { xmin, ctid, locked_until } = before; // a new row version, and the renewed lock
      expect({ ...after, xmin, ctid, locked_until }).toEqual(before);
    });

    it('clears the old response columns when it takes over a completed key past its ttl', async () => {
      const key = newKey();
      await store.complete(await claimed(claimRequest(key)), RESPONSE);
      await lapse(key, 'expires_at');
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
  });

  describe('takenOver', () => {
    it('is true for an in-flight claim past its lock timeout, and not for a new key or a completed one past its ttl', async () => {
      const [stale, expired] = [newKey(), newKey()];
      const fresh = await store.claim(claimRequest(stale));
      expect(fresh.state === 'claimed' && fresh.takenOver).toBeFalsy();
      await lapse(stale, 'locked_until');
      expect(await store.claim(claimRequest(stale, { fingerprint: 'fp-2' }))).toMatchObject({
        state: 'claimed',
        takenOver: true,
      });
      await store.complete(await claimed(claimRequest(expired)), RESPONSE);
      await lapse(expired, 'expires_at');
      expect(await store.claim(claimRequest(expired))).toMatchObject({
        state: 'claimed',
        takenOver: false,
      });
    });
  });

  // A claim committed on its own meets a transactional claim when a route moves from the default
  // mode to the transactional one while requests of the old mode are in flight, or died in it.
  describe('claimInTransaction() meeting a committed claim', () => {
    const inTransaction = (request: ClaimRequest) =>
      pooled.transaction((manager) => store.claimInTransaction(request, manager, 0));

    it('takes over a claim past its lock timeout, whose process died', async () => {
      const key = newKey();
      await claimed(claimRequest(key));
      await lapse(key, 'locked_until');
      const outcome = await inTransaction(claimRequest(key, { fingerprint: 'fp-2' }));
      expect(outcome).toMatchObject({ state: 'claimed', takenOver: true });
      expect(await row(key)).toMatchObject({ status: 'in_progress', fingerprint: 'fp-2' });
    });

    it('reports a live claim in progress, with its fingerprint, and leaves it as it was', async () => {
      const key = newKey();
      await claimed(claimRequest(key));
      const before = await row(key);
      expect(await inTransaction(claimRequest(key, { fingerprint: 'fp-2' }))).toEqual({
        state: 'in_progress',
        fingerprint: 'fp-1',
      });
      expect(await row(key)).toEqual(before);
    });
  });

  // Races and errors inside one statement, set up with a second transaction and row or advisory
  // locks, not sleeps: the test waits until the store's statement is blocked, then moves.
  describe('a statement that meets another transaction', () => {
    /** Resolves once a backend of this database is blocked by `holderPid`; returns its pid. */
    async function blockedBy(holderPid: number): Promise<number> {
      for (;;) {
        const { rows } = await db.query(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND $1 = ANY (pg_blocking_pids(pid))`,
          [holderPid],
        );
        if (rows.length > 0) return rows[0].pid;
        await delay(10);
      }
    }

    async function connect(): Promise<pg.Client> {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      return client;
    }

    it('claim() tries again when the row it waited on committed after its snapshot, and reports that claim', async () => {
      const key = newKey();
      const other = await connect();
      try {
        const { rows } = await other.query('SELECT pg_backend_pid() AS pid');
        await other.query('BEGIN');
        await other.query(
          `INSERT INTO idempotency_keys (scope, key, status, fingerprint, lock_token, locked_until, expires_at)
           VALUES ('store-test', $1, 'in_progress', 'fp-other', $2, now() + interval '30 seconds', now() + interval '60 seconds')`,
          [key, randomUUID()],
        );
        // The claim's INSERT waits for the other transaction; once that commits, the INSERT does
        // nothing, and the SELECT of the same statement (whose snapshot is older) finds no row.
        const claiming = store.claim(claimRequest(key));
        await blockedBy(rows[0].pid);
        await other.query('COMMIT');
        expect(await claiming).toEqual({ state: 'in_progress', fingerprint: 'fp-other' });
      } finally {
        await other.end();
      }
    });

    it('claimInTransaction() gives up after 5 attempts that all find no row, instead of looping', async () => {
      let statements = 0;
      const noRows = {
        queryRunner: {
          query: async () => {
            // A loop that did not stop would starve the event loop, timers included: end it.
            if (++statements > 100) throw new Error('still claiming after 100 statements');
            return { records: [], affected: 0 };
          },
        },
      } as unknown as EntityManager;
      await expect(store.claimInTransaction(claimRequest(newKey()), noRows, 0)).rejects.toThrow(
        'Could not claim idempotency key after 5 attempts',
      );
      expect(statements).toBe(5);
    });

    it('a waitForInFlight wait ended by another error than its lock timeout fails, instead of answering in progress', async () => {
      const key = newKey();
      let holderPid = 0;
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      // The first transaction claims the key and stays open: it holds the key's advisory lock.
      const holder = pooled.transaction(async (manager) => {
        [{ pid: holderPid }] = await manager.query('SELECT pg_backend_pid() AS pid');
        await store.claimInTransaction(claimRequest(key), manager, 0);
        holding();
        await finished;
      });
      await held;
      const waiting = pooled.transaction((manager) =>
        store.claimInTransaction(claimRequest(key), manager, 30),
      );
      // Cancelled while it waits (57014), as a statement_timeout or an operator would.
      await db.query('SELECT pg_cancel_backend($1)', [await blockedBy(holderPid)]);
      await expect(waiting).rejects.toMatchObject({ code: '57014' });
      finish();
      await holder;
    });

    it('complete() failing for another reason than the connection throws the error as it is, with no retry', async () => {
      const claim = await claimed(claimRequest(newKey()));
      const error = await store.complete(claim, { ...RESPONSE, status: 40_000 }).catch((e) => e);
      // smallint out of range: retrying could never succeed.
      expect(error).toMatchObject({ code: '22003' });
      expect(error.message).not.toContain('retrying');
    });
  });

  describe('refusals write nothing', () => {
    it('a claim of a key in flight leaves its row as it was', async () => {
      const key = newKey();
      await claimed(claimRequest(key));
      const before = await row(key);
      await store.claim(claimRequest(key, { fingerprint: 'fp-2' }));
      expect(await row(key)).toEqual(before);
    });

    it('complete(), release() and renew() with a wrong token leave the row as it was', async () => {
      const key = newKey();
      const claim = await claimed(claimRequest(key));
      const before = await row(key);
      await store.complete({ ...claim, token: randomUUID() }, RESPONSE);
      await store.release({ ...claim, token: randomUUID() });
      await store.renew({ ...claim, token: randomUUID() }, 60);
      expect(await row(key)).toEqual(before);
    });

    it('release() and renew() of a completed key leave the row as it was', async () => {
      const key = newKey();
      const claim = await claimed(claimRequest(key));
      await store.complete(claim, RESPONSE);
      const before = await row(key);
      await store.release(claim);
      await store.renew(claim, 60);
      expect(await row(key)).toEqual(before);
    });

    it("the old owner's complete(), release() and renew() after a take-over leave the row as it was", async () => {
      const key = newKey();
      const old = await claimed(claimRequest(key));
      await lapse(key, 'locked_until');
      await claimed(claimRequest(key, { fingerprint: 'fp-2' }));
      const before = await row(key);
      await store.complete(old, RESPONSE);
      await store.release(old);
      await store.renew(old, 60);
      expect(await row(key)).toEqual(before);
    });
  });

  // The statements as a direct connection gets them; through a pooler that cannot keep them they
  // go unnamed after the first failure (prepared-statement-fallback.e2e-spec.ts).
  describe('preparedStatements', () => {
    it('sends each statement as a prepared statement of its own name', async () => {
      const named = new PostgresIdempotencyStore(direct);
      const pool = (direct.driver as unknown as { master: Pool }).master;
      const query = jest.spyOn(pool, 'query');
      try {
        const key = newKey();
        await claimed(claimRequest(key), named);
        await lapse(key, 'locked_until');
        const claim = await claimed(claimRequest(key), named);
        await named.renew(claim, 30);
        await named.complete(claim, RESPONSE);
        await named.release(await claimed(claimRequest(newKey()), named));
        await named.purgeExpired();
        const names = query.mock.calls.map(([config]) => (config as unknown as QueryConfig).name);
        expect(names).toEqual([
          'idempotency_claim',
          'idempotency_claim',
          'idempotency_take_over',
          'idempotency_renew',
          'idempotency_complete',
          'idempotency_claim',
          'idempotency_release',
          'idempotency_purge',
        ]);
      } finally {
        query.mockRestore();
      }
    });

    it.each([
      [true, 'idempotency_claim'],
      [false, undefined],
    ])(
      'with preparedStatements: %p names the claim statement %p, and works',
      async (prepared, name) => {
        const unprepared = new PostgresIdempotencyStore(direct, {
          preparedStatements: prepared,
        });
        const pool = (direct.driver as unknown as { master: Pool }).master;
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
    it('deletes batchSize rows per statement, each starting where the last stopped, until one deletes fewer', async () => {
      const scope = `purge-${randomUUID()}`;
      for (let i = 0; i < 7; i++) {
        await db.query(
          `INSERT INTO idempotency_keys (scope, key, status, fingerprint, lock_token, locked_until, expires_at)
           VALUES ($1, $2, 'completed', 'fp', gen_random_uuid(), now() - interval '1 hour', now() - interval '1 second')`,
          [scope, `expired-${i}`],
        );
      }
      // Other tests' rows in this database are all live (ttl 60 s or more).
      const pool = (direct.driver as unknown as { master: Pool }).master;
      const query = jest.spyOn(pool, 'query');
      try {
        await new PostgresIdempotencyStore(direct).purgeExpired(3);
        const statements = query.mock.calls.map(([config]) => config as unknown as QueryConfig);
        expect(statements.map(({ name, values }) => [name, values![0]])).toEqual([
          ['idempotency_purge', 3],
          ['idempotency_purge', 3],
          ['idempotency_purge', 3],
        ]);
        // Keyset: from the start, then from the last expires_at each batch deleted.
        const { rows } = await db.query(`SELECT $1::timestamptz < $2::timestamptz AS increasing`, [
          statements[1].values![1],
          statements[2].values![1],
        ]);
        expect(statements[0].values![1]).toBe('-infinity');
        expect(rows[0].increasing).toBe(true);
      } finally {
        query.mockRestore();
      }
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
    // Directly on PostgreSQL: a pooler keeps its server connections (and their statistics) open.
    const dataSource = await openDataSource(db.directUrl, applicationName);
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

// A claim whose connection broke after it was sent may have committed: its row would hold the
// key in flight, under a token no one has, until its lock timeout. The store releases it.
describe('PostgresIdempotencyStore: a claim whose answer was lost', () => {
  let proxy: AnswerDroppingProxy;
  let dataSource: DataSource;
  let store: PostgresIdempotencyStore;
  const db = useTestDatabase({
    beforeDrop: async () => {
      store?.onModuleDestroy();
      await dataSource?.destroy();
      await proxy?.close();
    },
  });

  beforeAll(async () => {
    proxy = await AnswerDroppingProxy.start(db.url);
    dataSource = await openDataSource(proxy.url(db.url));
    store = new PostgresIdempotencyStore(dataSource);
  });

  async function status(key: string): Promise<string | undefined> {
    const { rows } = await db.query('SELECT status FROM idempotency_keys WHERE key = $1', [key]);
    return rows[0]?.status;
  }

  it('releases it in the background, so that a retry of the key runs at once instead of after the lock timeout', async () => {
    const key = newKey();
    const logs = captureLogs();
    try {
      proxy.dropNextAnswer();
      await expect(store.claim(claimRequest(key))).rejects.toThrow(/Connection terminated/);
      // It did commit: the key is in flight under a token its caller never got.
      expect(await status(key)).toBe('in_progress');
      const deadline = Date.now() + 10_000;
      while ((await status(key)) !== undefined && Date.now() < deadline) await delay(50);
      expect(await status(key)).toBeUndefined();
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          level: 'log',
          text: expect.stringContaining('its claim went through as the database went away'),
        }),
      );
    } finally {
      logs.stop();
    }
    const retry = await store.claim(claimRequest(key));
    expect(retry.state).toBe('claimed');
  });

  it('retries a completion whose answer was lost in the background; its caller gets the error, with its cause', async () => {
    const key = newKey();
    const outcome = await store.claim(claimRequest(key));
    if (outcome.state !== 'claimed') throw new Error(`expected a claim, got ${outcome.state}`);
    const logs = captureLogs();
    try {
      proxy.dropNextAnswer();
      const error = (await store.complete(outcome.claim, RESPONSE).then(
        () => undefined,
        (e: unknown) => e,
      )) as Error;
      expect(error.message).toMatch(/Connection terminated.* \(retrying in the background\)$/);
      expect(error.cause).toBeInstanceOf(Error);
      const deadline = Date.now() + 10_000;
      while (!logs.lines.some((l) => l.text.includes('once the database was back'))) {
        if (Date.now() > deadline) throw new Error('no background completion within 10 s');
        await delay(50);
      }
    } finally {
      logs.stop();
    }
    expect(await status(key)).toBe('completed');
  });

  it('retries nothing once the module is destroyed (the app shut down)', async () => {
    const own = new PostgresIdempotencyStore(dataSource);
    const key = newKey();
    const outcome = await own.claim(claimRequest(key));
    if (outcome.state !== 'claimed') throw new Error(`expected a claim, got ${outcome.state}`);
    const logs = captureLogs();
    try {
      proxy.dropNextAnswer();
      await expect(own.complete(outcome.claim, RESPONSE)).rejects.toThrow(/retrying/);
      own.onModuleDestroy();
      // Nothing to wait for but time: a retry would run within 500 ms and log its result.
      await delay(1500);
      expect(logs.lines.filter((l) => l.text.includes('once the database was back'))).toEqual([]);
    } finally {
      logs.stop();
    }
  });

  it('releases nothing of a claim that another request took over meanwhile', async () => {
    const key = newKey();
    proxy.dropNextAnswer();
    await expect(store.claim(claimRequest(key))).rejects.toThrow(/Connection terminated/);
    // Before the background release runs (every 500 ms), the lost claim lapses and is taken over.
    await db.query(
      `UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    const taker = await store.claim(claimRequest(key));
    expect(taker.state).toBe('claimed');
    await delay(1500);
    expect(await status(key)).toBe('in_progress');
    if (taker.state === 'claimed') expect(await store.complete(taker.claim, RESPONSE)).toBe(true);
  });
});
