import { Test } from '@nestjs/testing';
import { TerminusModule } from '@nestjs/terminus';
import {
  IdempotencyModule,
  InMemoryIdempotencyStore,
  type IdempotencyStoreHealth,
} from '../../lib/index.js';
import { IdempotencyHealthIndicator } from '../../lib/terminus/index.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { healthModule } from '../fixtures/health/health.module.js';

const POOL = 'health-indicator-test';

const UP = {
  status: 'up',
  store: 'PostgresIdempotencyStore',
  reachable: true,
  table: 'idempotency_keys',
  tablePresent: true,
};

describe('IdempotencyHealthIndicator (nestjs-idempotency/terminus)', () => {
  let migrated: TestDatabase;
  let empty: TestDatabase;
  let app: TestApp;
  let unmigratedApp: TestApp;

  beforeAll(async () => {
    [migrated, empty] = await Promise.all([
      createTestDatabase(),
      createTestDatabase({ migrate: false }),
    ]);
    [app, unmigratedApp] = await Promise.all([
      createTestApp(healthModule(migrated.url, POOL)),
      createTestApp(healthModule(empty.url, POOL)),
    ]);
  });
  afterAll(async () => {
    await empty?.query(`ALTER DATABASE ${migrated.name} ALLOW_CONNECTIONS true`);
    await Promise.all([app?.close(), unmigratedApp?.close()]);
    await Promise.all([migrated?.drop(), empty?.drop()]);
  });

  it('is up when PostgreSQL answers and the table is there', async () => {
    const response = await app.http().get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      info: { idempotency: UP },
      error: {},
      details: { idempotency: UP },
    });
  });

  it('is down, saying to run the migration, when the table is missing', async () => {
    const response = await unmigratedApp.http().get('/health');
    expect(response.status).toBe(503);
    expect(response.body.error).toEqual({
      idempotency: {
        ...UP,
        status: 'down',
        tablePresent: false,
        message: 'The table "idempotency_keys" does not exist: run the migration.',
      },
    });
  });

  it('is down while PostgreSQL cannot be reached, and up again once it can', async () => {
    await empty.query(`ALTER DATABASE ${migrated.name} ALLOW_CONNECTIONS false`);
    await empty.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
      [migrated.name, POOL],
    );
    // Until the terminated backends are gone (an event, not a time).
    for (;;) {
      const { rows } = await empty.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
        [migrated.name, POOL],
      );
      if (rows[0].n === 0) break;
    }
    const down = await app.http().get('/health');
    await empty.query(`ALTER DATABASE ${migrated.name} ALLOW_CONNECTIONS true`);
    expect(down.status).toBe(503);
    expect(down.body.error).toEqual({
      idempotency: {
        status: 'down',
        store: 'PostgresIdempotencyStore',
        reachable: false,
        message: expect.stringMatching(/^PostgreSQL cannot be reached: /),
      },
    });
    expect((await app.http().get('/health')).status).toBe(200);
  });
});

describe('IdempotencyHealthIndicator with a store that does not answer', () => {
  class SilentStore extends InMemoryIdempotencyStore {
    override checkHealth(): Promise<IdempotencyStoreHealth> {
      return new Promise(() => undefined);
    }
  }

  it('is down once the timeout has passed', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [IdempotencyModule.forRoot({ store: new SilentStore() }), TerminusModule],
      providers: [IdempotencyHealthIndicator],
    }).compile();
    const indicator = moduleRef.get(IdempotencyHealthIndicator);
    expect(await indicator.isHealthy('keys', { timeout: 50 })).toEqual({
      keys: {
        status: 'down',
        store: 'SilentStore',
        message: 'No answer from the store within 50 ms',
      },
    });
    await moduleRef.close();
  });

  it('uses the default stats() check of a store without one of its own', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IdempotencyModule.forRoot({ store: new InMemoryIdempotencyStore() }),
        TerminusModule,
      ],
      providers: [IdempotencyHealthIndicator],
    }).compile();
    const indicator = moduleRef.get(IdempotencyHealthIndicator);
    expect(await indicator.isHealthy()).toEqual({
      idempotency: { status: 'up', store: 'InMemoryIdempotencyStore' },
    });
    await moduleRef.close();
  });
});
