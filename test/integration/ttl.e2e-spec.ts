import { calls } from '../support/calls.js';
import { newKey } from '../support/keys.js';
import { useTestApps } from '../support/use-test-apps.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

// Time is moved by rewriting expires_at in the table, never by sleeping.
describe('the TTL of a completed key', () => {
  const { db, apps } = useTestApps(
    ({ url }) => ordersModule(url),
    ({ url }) => ordersModule(url, { ttl: '2h' }),
  );
  const [app, twoHourApp] = apps;

  async function ttlSeconds(key: string): Promise<number> {
    const { rows } = await db.query(
      'SELECT extract(epoch FROM expires_at - created_at)::float8 AS ttl FROM idempotency_keys WHERE key = $1',
      [key],
    );
    return rows[0].ttl;
  }

  it('is 24 hours by default, the module ttl when set, and the route ttl on @Idempotent({ ttl })', async () => {
    const [a, b, c] = [newKey(), newKey(), newKey()];
    await app.http().post('/orders').set('Idempotency-Key', a).send({});
    await twoHourApp.http().post('/orders').set('Idempotency-Key', b).send({});
    await twoHourApp.http().post('/orders/short-lived').set('Idempotency-Key', c).send({});
    expect(await ttlSeconds(a)).toBe(86_400);
    expect(await ttlSeconds(b)).toBe(7_200);
    expect(await ttlSeconds(c)).toBe(1);
  });

  it('replays before expiry, and runs the handler again as a new operation after it', async () => {
    const key = newKey();
    const first = await app
      .http()
      .post('/orders/short-lived')
      .set('Idempotency-Key', key)
      .send({ a: 1 });
    const beforeExpiry = await app
      .http()
      .post('/orders/short-lived')
      .set('Idempotency-Key', key)
      .send({ a: 1 });
    expect(beforeExpiry.headers['idempotent-replay']).toBe('true');
    expect(calls.of('short-lived')).toBe(1);

    await db.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1",
      [key],
    );
    const afterExpiry = await app
      .http()
      .post('/orders/short-lived')
      .set('Idempotency-Key', key)
      .send({ a: 1 });
    expect(afterExpiry.status).toBe(201);
    expect(afterExpiry.headers['idempotent-replay']).toBeUndefined();
    expect([first.body.n, afterExpiry.body.n]).toEqual([1, 2]);
    expect(calls.of('short-lived')).toBe(2);

    const again = await app
      .http()
      .post('/orders/short-lived')
      .set('Idempotency-Key', key)
      .send({ a: 1 });
    expect(again.headers['idempotent-replay']).toBe('true');
    expect(again.text).toBe(afterExpiry.text);
    expect(calls.of('short-lived')).toBe(2);
  });

  it('forgets the old request after expiry: the key may carry a different body', async () => {
    const key = newKey();
    await app.http().post('/orders/short-lived').set('Idempotency-Key', key).send({ a: 1 });
    await db.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1",
      [key],
    );
    const response = await app
      .http()
      .post('/orders/short-lived')
      .set('Idempotency-Key', key)
      .send({ a: 2 });
    expect(response.status).toBe(201);
    expect(response.body.body).toEqual({ a: 2 });
    expect(calls.of('short-lived')).toBe(2);
  });
});
