// Default mode, PostgreSQL gone after the handler ran and before the key was completed: the
// client still gets its answer, and the completion is retried until the database is back, so a
// retry then gets that answer replayed and the handler does not run again. The server is this
// file's own, stopped and started again under a running app.
import pg from 'pg';
import { CREATE_IDEMPOTENCY_KEYS_SQL } from '../../lib/index.js';
import { unavailableModule } from '../fixtures/unavailable/unavailable.module.js';
import { calls } from '../support/calls.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { RestartablePostgres } from '../support/restartable-postgres.js';

let postgres: RestartablePostgres;
let app: TestApp;

async function query(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: postgres.url });
  client.on('error', () => undefined); // a failure shows in the query
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  postgres = await RestartablePostgres.create();
  await query(CREATE_IDEMPOTENCY_KEYS_SQL);
  app = await createTestApp(unavailableModule(postgres.url, postgres.url));
});

afterAll(async () => {
  gates.releaseAll();
  await app?.close();
  await postgres?.close();
});

describe('the store lost after the handler ran (default mode)', () => {
  it.each(['fast', 'immediate'] as const)(
    'sends the answer, then replays it once the database is back (%s shutdown)',
    async (mode) => {
      calls.reset();
      const key = newKey();
      const gate = gates.create(`held-${mode}`);
      const first = app
        .http()
        .post('/orders')
        .set('Idempotency-Key', key)
        .set('X-Gate', `held-${mode}`)
        .send({ a: 1 })
        .then((response) => response);
      await gate.entered;
      await postgres.stop(mode);
      gate.release();

      const answer = await first;
      expect({ status: answer.status, replay: answer.headers['idempotent-replay'] }).toEqual({
        status: 201,
        replay: undefined,
      });
      const whileDown = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
      expectProblem(whileDown, 503, 'idempotency_store_unavailable');

      await postgres.start();
      // Until the completion lands (it is retried every half second), the key is in flight.
      let retry = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
      for (let attempt = 0; retry.status !== 201 && attempt < 50; attempt++) {
        expectProblem(retry, 409, 'idempotency_key_in_use');
        await new Promise((resolve) => setTimeout(resolve, 100));
        retry = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
      }
      expect({ status: retry.status, replay: retry.headers['idempotent-replay'] }).toEqual({
        status: 201,
        replay: 'true',
      });
      expect(retry.text).toBe(answer.text);
      expect(calls.of('create')).toBe(1);
    },
  );
});
