import { calls } from '../support/calls.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

// The large route answers {"n":1,"filler":"<size x>"}: 19 bytes plus the filler.
const OVERHEAD = '{"n":1,"filler":""}'.length;

describe('a response larger than maxResponseBytes', () => {
  const { db, apps } = useTestApps(
    ({ url }) => ordersModule(url),
    ({ url }) => ordersModule(url, { maxResponseBytes: 1024 }),
  );
  const [app, smallApp] = apps;

  async function storedRow(key: string) {
    const { rows } = await db.query(
      'SELECT status, response_status, octet_length(response_body) AS bytes FROM idempotency_keys WHERE key = $1',
      [key],
    );
    return rows[0];
  }

  it('is sent whole to the first client; the key completes without a body; a retry gets 409 idempotency_response_unavailable', async () => {
    const key = newKey();
    const first = await smallApp
      .http()
      .post('/orders/large')
      .set('Idempotency-Key', key)
      .send({ size: 1025 - OVERHEAD });
    expect(first.status).toBe(201);
    expect(first.text).toHaveLength(1025);
    expect(first.body.filler).toBe('x'.repeat(1025 - OVERHEAD));
    expect(await storedRow(key)).toEqual({
      status: 'completed',
      response_status: 201,
      bytes: null,
    });

    const retry = await smallApp
      .http()
      .post('/orders/large')
      .set('Idempotency-Key', key)
      .send({ size: 1025 - OVERHEAD });
    expectProblem(retry, 409, 'idempotency_response_unavailable');
    expect(calls.of('large')).toBe(1);
  });

  it('stores a body of exactly maxResponseBytes and replays it', async () => {
    const key = newKey();
    const first = await smallApp
      .http()
      .post('/orders/large')
      .set('Idempotency-Key', key)
      .send({ size: 1024 - OVERHEAD });
    expect(first.text).toHaveLength(1024);
    expect(await storedRow(key)).toEqual({
      status: 'completed',
      response_status: 201,
      bytes: 1024,
    });
    const retry = await smallApp
      .http()
      .post('/orders/large')
      .set('Idempotency-Key', key)
      .send({ size: 1024 - OVERHEAD });
    expect(retry.headers['idempotent-replay']).toBe('true');
    expect(retry.text).toBe(first.text);
    expect(calls.of('large')).toBe(1);
  });

  it('applies the 1 MiB default', async () => {
    const key = newKey();
    const size = 1024 * 1024 + 1 - OVERHEAD;
    const first = await app.http().post('/orders/large').set('Idempotency-Key', key).send({ size });
    expect(first.text).toHaveLength(1024 * 1024 + 1);
    const retry = await app.http().post('/orders/large').set('Idempotency-Key', key).send({ size });
    expectProblem(retry, 409, 'idempotency_response_unavailable');
    expect(calls.of('large')).toBe(1);
  });
});
