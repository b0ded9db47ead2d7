import type { ExecutionContext } from '@nestjs/common';
import { calls } from '../support/calls.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

async function tenantOf(context: ExecutionContext): Promise<string | undefined> {
  const value = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>()
    .headers['x-tenant'];
  return value;
}

describe('what a key is scoped by', () => {
  const { db, apps } = useTestApps(
    ({ url }) => ordersModule(url),
    ({ url }) => ordersModule(url, { tenant: tenantOf }),
  );
  const [app, tenantApp] = apps;

  describe('by default, the method and the route pattern', () => {
    it('keeps two routes with one key independent', async () => {
      const key = newKey();
      const pay = await app.http().post('/orders/1/pay').set('Idempotency-Key', key).send({});
      const refund = await app.http().post('/orders/1/refund').set('Idempotency-Key', key).send({});
      expect([pay.status, refund.status]).toEqual([201, 201]);
      expect(refund.headers['idempotent-replay']).toBeUndefined();
      expect([calls.of('pay'), calls.of('refund')]).toEqual([1, 1]);
      const { rows } = await db.query(
        'SELECT scope FROM idempotency_keys WHERE key = $1 ORDER BY scope',
        [key],
      );
      expect(rows.map((row) => row.scope)).toEqual([
        expect.stringMatching(/POST \/orders\/:id\/pay$/),
        expect.stringMatching(/POST \/orders\/:id\/refund$/),
      ]);
    });

    it('shares a key across paths of one route pattern: another :id is a reuse', async () => {
      const key = newKey();
      const first = await app.http().post('/orders/1/pay').set('Idempotency-Key', key).send({});
      const second = await app.http().post('/orders/2/pay').set('Idempotency-Key', key).send({});
      expect(first.status).toBe(201);
      expectProblem(second, 409, 'idempotency_key_reused');
      expect(calls.of('pay')).toBe(1);
    });
  });

  describe('the scope option', () => {
    it('makes two routes (here POST and PUT) share keys', async () => {
      const key = newKey();
      await app.http().post('/orders/upsert').set('Idempotency-Key', key).send({ a: 1 });
      const put = await app.http().put('/orders/upsert').set('Idempotency-Key', key).send({ a: 1 });
      expectProblem(put, 409, 'idempotency_key_reused');
      const { rows } = await db.query('SELECT scope FROM idempotency_keys WHERE key = $1', [key]);
      expect(rows).toEqual([{ scope: expect.stringMatching(/orders\.upsert$/) }]);
      expect(calls.of('upsert')).toBe(1);
    });
  });

  describe('the tenant option', () => {
    it('runs the same key once per tenant, and replays within a tenant', async () => {
      const key = newKey();
      const send = (tenant: string) =>
        tenantApp
          .http()
          .post('/orders')
          .set('Idempotency-Key', key)
          .set('X-Tenant', tenant)
          .send({ a: 1 });
      const acme = await send('acme');
      const globex = await send('globex');
      const acmeAgain = await send('acme');
      const globexAgain = await send('globex');
      expect([acme.status, globex.status]).toEqual([201, 201]);
      expect(globex.headers['idempotent-replay']).toBeUndefined();
      expect([acme.body.n, globex.body.n]).toEqual([1, 2]);
      expect(acmeAgain.text).toBe(acme.text);
      expect(globexAgain.text).toBe(globex.text);
      expect(acmeAgain.headers['idempotent-replay']).toBe('true');
      expect(globexAgain.headers['idempotent-replay']).toBe('true');
      expect(calls.of('create')).toBe(2);
    });

    it("never lets one tenant see another tenant's key as a reuse", async () => {
      const key = newKey();
      await tenantApp
        .http()
        .post('/orders')
        .set('Idempotency-Key', key)
        .set('X-Tenant', 'acme')
        .send({ a: 1 });
      const other = await tenantApp
        .http()
        .post('/orders')
        .set('Idempotency-Key', key)
        .set('X-Tenant', 'globex')
        .send({ b: 2 });
      expect(other.status).toBe(201);
      expect(calls.of('create')).toBe(2);
    });
  });
});
