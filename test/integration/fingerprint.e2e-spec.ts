import { calls } from '../support/calls.js';
import type { TestApp } from '../support/create-test-app.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

describe('the request fingerprint', () => {
  const { apps } = useTestApps(
    ({ url }) => ordersModule(url),
    ({ url }) => ordersModule(url, { mismatchStatus: 422 }),
  );
  const [app, app422] = apps;

  function post(target: TestApp, path: string, key: string, rawJson: string) {
    return target
      .http()
      .post(path)
      .set('Idempotency-Key', key)
      .set('Content-Type', 'application/json')
      .send(rawJson);
  }

  describe('counts the JSON body by its meaning', () => {
    it.each([
      ['key order', '{"a":1,"b":{"x":1,"y":[1,2]}}', '{"b":{"y":[1,2],"x":1},"a":1}'],
      ['white space', '{"a":1,"b":[1,2]}', ' {\n  "a" : 1,\n\t"b" : [ 1 , 2 ]\n}\n'],
    ])('%s does not matter: the retry is replayed', async (_, original, retry) => {
      const key = newKey();
      const first = await post(app, '/orders', key, original);
      const second = await post(app, '/orders', key, retry);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(second.text).toBe(first.text);
      expect(calls.of('create')).toBe(1);
    });
  });

  describe('a different request with the same key is 409 idempotency_key_reused, and nothing runs', () => {
    it.each([
      ['another body value', '/orders', '{"a":1}', '/orders', '{"a":2}'],
      ['an array in another order', '/orders', '{"a":[1,2]}', '/orders', '{"a":[2,1]}'],
      ['an extra body field', '/orders', '{"a":1}', '/orders', '{"a":1,"b":null}'],
      ['another query string', '/orders?page=1', '{"a":1}', '/orders?page=2', '{"a":1}'],
      ['a query string added', '/orders', '{"a":1}', '/orders?page=1', '{"a":1}'],
    ])('%s', async (_, path1, body1, path2, body2) => {
      const key = newKey();
      const first = await post(app, path1, key, body1);
      const second = await post(app, path2, key, body2);
      expect(first.status).toBe(201);
      expectProblem(second, 409, 'idempotency_key_reused');
      expect(calls.of('create')).toBe(1);
    });

    it('another method on a shared scope', async () => {
      const key = newKey();
      const first = await app
        .http()
        .post('/orders/upsert')
        .set('Idempotency-Key', key)
        .send({ a: 1 });
      const second = await app
        .http()
        .put('/orders/upsert')
        .set('Idempotency-Key', key)
        .send({ a: 1 });
      expect(first.status).toBe(201);
      expectProblem(second, 409, 'idempotency_key_reused');
      expect(calls.of('upsert')).toBe(1);
    });

    it('and the original stays replayable afterwards', async () => {
      const key = newKey();
      const first = await post(app, '/orders', key, '{"a":1}');
      await post(app, '/orders', key, '{"a":2}');
      const third = await post(app, '/orders', key, '{"a":1}');
      expect(third.headers['idempotent-replay']).toBe('true');
      expect(third.text).toBe(first.text);
      expect(calls.of('create')).toBe(1);
    });
  });

  it('is answered with 422 when mismatchStatus is 422', async () => {
    const key = newKey();
    const first = await post(app422, '/orders', key, '{"a":1}');
    const second = await post(app422, '/orders', key, '{"a":2}');
    expect(first.status).toBe(201);
    expectProblem(second, 422, 'idempotency_key_reused');
    expect(calls.of('create')).toBe(1);
  });
});
