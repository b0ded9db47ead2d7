import { calls } from '../support/calls.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

describe('a key whose first request is still running', () => {
  const { db, apps } = useTestApps(({ url }) => ordersModule(url));
  const [app] = apps;

  it('answers a second request with 409 idempotency_key_in_use and Retry-After, without running it', async () => {
    const key = newKey();
    const gate = gates.create('held');
    const first = app
      .http()
      .post('/orders')
      .set('Idempotency-Key', key)
      .set('X-Gate', 'held')
      .send({ a: 1 })
      .then((r) => r);
    await gate.entered;

    const second = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
    expectProblem(second, 409, 'idempotency_key_in_use');
    expect(second.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(calls.of('create')).toBe(1);

    gate.release();
    const firstResponse = await first;
    expect(firstResponse.status).toBe(201);
    expect(firstResponse.headers['idempotent-replay']).toBeUndefined();

    const third = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
    expect(third.status).toBe(201);
    expect(third.headers['idempotent-replay']).toBe('true');
    expect(third.text).toBe(firstResponse.text);
    expect(calls.of('create')).toBe(1);
  });

  it('answers a different request with the same key in flight with 409 idempotency_key_reused', async () => {
    const key = newKey();
    const gate = gates.create('held-2');
    const first = app
      .http()
      .post('/orders')
      .set('Idempotency-Key', key)
      .set('X-Gate', 'held-2')
      .send({ a: 1 })
      .then((r) => r);
    await gate.entered;
    const other = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 2 });
    expectProblem(other, 409, 'idempotency_key_reused');
    gate.release();
    expect((await first).status).toBe(201);
    expect(calls.of('create')).toBe(1);
  });

  it('holds the claim as in_progress in the table while the handler runs', async () => {
    const key = newKey();
    const gate = gates.create('held-3');
    const first = app
      .http()
      .post('/orders')
      .set('Idempotency-Key', key)
      .set('X-Gate', 'held-3')
      .send({})
      .then((r) => r);
    await gate.entered;
    const during = await db.query(
      'SELECT status, response_body FROM idempotency_keys WHERE key = $1',
      [key],
    );
    gate.release();
    await first;
    const after = await db.query(
      'SELECT status, response_status FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(during.rows).toEqual([{ status: 'in_progress', response_body: null }]);
    expect(after.rows).toEqual([{ status: 'completed', response_status: 201 }]);
  });
});
