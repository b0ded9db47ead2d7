// "Several app processes on one database behave as one", from their start: processes started at
// once on an empty database (as a deployment of several replicas does) all get ready, and the
// migrations run once. In the sample-app-pooler project they go through PgBouncer in transaction
// mode, where a session advisory lock would stay held on a server connection.
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { killAllSampleApps, startSampleApp } from '../support/sample-app-process.js';

const PROCESSES = 3;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});

afterAll(async () => {
  await killAllSampleApps();
  await db?.drop();
});

describe('Several app processes started at once on an empty database', () => {
  it(`all ${PROCESSES} get ready, each migration runs once, and none fails or retries`, async () => {
    const apps = await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        startSampleApp({ databaseUrl: db.url, healthTimeoutMs: 40_000 }),
      ),
    );
    expect(apps.map((app) => app.alive)).toEqual(Array(PROCESSES).fill(true));
    const { rows } = await db.query(
      'SELECT name, count(*)::int AS runs FROM migrations GROUP BY name ORDER BY name',
    );
    expect(rows).toEqual([
      { name: 'AddIdempotencyKeysInProgressIndex1796256200000', runs: 1 },
      { name: 'CreateIdempotencyKeys1796256000000', runs: 1 },
      { name: 'CreateSampleTables1796256100000', runs: 1 },
    ]);
    // TypeOrmModule retries a failed start (a migration that met its peer's tables, say).
    // (Not the pooler warning's "no request failed": that one says nothing went wrong.)
    for (const app of apps) {
      expect(app.output()).not.toMatch(/Unable to connect|(?<!no request )failed/i);
    }
  });
});
