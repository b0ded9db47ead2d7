import { calls } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import { filteredModule } from '../fixtures/filtered/filtered.module.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

describe('which responses are stored', () => {
  const seenByShouldStore: number[] = [];
  const { db, apps } = useTestApps(
    ({ url }) => ordersModule(url),
    ({ url }) =>
      ordersModule(url, {
        shouldStore: ({ status }) => {
          seenByShouldStore.push(status);
          return status < 400;
        },
      }),
    ({ url }) => filteredModule(url),
  );
  const [app, strictApp, filteredApp] = apps;
  beforeEach(() => {
    seenByShouldStore.length = 0;
  });

  async function storedRows(key: string): Promise<number> {
    const { rows } = await db.query(
      'SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1',
      [key],
    );
    return rows[0].n;
  }

  describe('4xx answers are stored and replayed', () => {
    it('a handler that throws BadRequestException', async () => {
      const key = newKey();
      const first = await app.http().post('/orders/rejected').set('Idempotency-Key', key).send({});
      const second = await app.http().post('/orders/rejected').set('Idempotency-Key', key).send({});
      expect(first.status).toBe(400);
      expect(first.body.n).toBe(1);
      expect(first.headers['idempotent-replay']).toBeUndefined();
      expect(second.status).toBe(400);
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(second.headers['content-type']).toBe(first.headers['content-type']);
      expect(second.text).toBe(first.text);
      expect(calls.of('rejected')).toBe(1);
    });

    it('a pipe that rejects the body: neither the pipe nor the handler runs again', async () => {
      const key = newKey();
      const first = await app
        .http()
        .post('/orders/validated')
        .set('Idempotency-Key', key)
        .send({ qty: 0 });
      const second = await app
        .http()
        .post('/orders/validated')
        .set('Idempotency-Key', key)
        .send({ qty: 0 });
      expect(first.status).toBe(400);
      expect(first.text).toContain('qty must be a positive integer');
      expect(second.status).toBe(400);
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(second.text).toBe(first.text);
      expect(calls.of('pipe')).toBe(1);
      expect(calls.of('validated')).toBe(0);
    });

    it('an error body shaped by a user exception filter is replayed byte for byte', async () => {
      const key = newKey();
      const first = await filteredApp
        .http()
        .post('/filtered/rejected')
        .set('Idempotency-Key', key)
        .send({ a: 1 });
      // Another error in between moves the filter's sequence on: a re-run would show it.
      await filteredApp
        .http()
        .post('/filtered/rejected')
        .set('Idempotency-Key', newKey())
        .send({ a: 1 });
      const second = await filteredApp
        .http()
        .post('/filtered/rejected')
        .set('Idempotency-Key', key)
        .send({ a: 1 });
      expect(first.status).toBe(400);
      expect(first.headers['content-type']).toMatch(/^application\/vnd\.acme\.error\+json/);
      expect(first.text).toContain('"seq" : 1');
      expect(second.status).toBe(400);
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(second.headers['content-type']).toBe(first.headers['content-type']);
      expect(Buffer.from(second.text)).toEqual(Buffer.from(first.text));
      expect(calls.of('filtered-rejected')).toBe(2);
    });
  });

  describe('5xx answers are not stored: a retry runs the handler again', () => {
    it('an unhandled error (500)', async () => {
      const key = newKey();
      const first = await app.http().post('/orders/failing').set('Idempotency-Key', key).send({});
      expect(await storedRows(key)).toBe(0);
      const second = await app.http().post('/orders/failing').set('Idempotency-Key', key).send({});
      expect([first.status, second.status]).toEqual([500, 500]);
      expect(second.headers['idempotent-replay']).toBeUndefined();
      expect(calls.of('failing')).toBe(2);
    });

    it('a thrown 503', async () => {
      const key = newKey();
      const first = await app
        .http()
        .post('/orders/failing?status=503')
        .set('Idempotency-Key', key)
        .send({});
      const second = await app
        .http()
        .post('/orders/failing?status=503')
        .set('Idempotency-Key', key)
        .send({});
      expect([first.status, second.status]).toEqual([503, 503]);
      expect([first.body.n, second.body.n]).toEqual([1, 2]);
      expect(second.headers['idempotent-replay']).toBeUndefined();
      expect(calls.of('failing')).toBe(2);
    });

    it('a 500 from an app with a user exception filter', async () => {
      const key = newKey();
      const first = await filteredApp
        .http()
        .post('/filtered/failing')
        .set('Idempotency-Key', key)
        .send({});
      const second = await filteredApp
        .http()
        .post('/filtered/failing')
        .set('Idempotency-Key', key)
        .send({});
      expect([first.status, second.status]).toEqual([500, 500]);
      expect(second.text).not.toBe(first.text);
      expect(calls.of('filtered-failing')).toBe(2);
    });
  });

  describe('an answer cut after it started', () => {
    it('completes the key without a body: retries get 409 idempotency_response_unavailable, the handler ran once', async () => {
      const key = newKey();
      const send = () => app.http().post('/orders/broken').set('Idempotency-Key', key).send({});
      await expect(send()).rejects.toThrow();
      // The client sees the socket close before the server's 'close' handler has completed the
      // key: wait for the completion, bounded (a slow machine, or a mutation run, shows it).
      const row = async () =>
        (
          await db.query(
            'SELECT status, response_status, response_body FROM idempotency_keys WHERE key = $1',
            [key],
          )
        ).rows;
      for (const deadline = Date.now() + 5000; Date.now() < deadline; await delay(20)) {
        if ((await row())[0]?.status !== 'in_progress') break;
      }
      expect(await row()).toEqual([
        { status: 'completed', response_status: 201, response_body: null },
      ]);
      expectProblem(await send(), 409, 'idempotency_response_unavailable');
      expect(calls.of('broken')).toBe(1);
    });
  });

  describe('the shouldStore option', () => {
    it('is asked with the status, and a 4xx it refuses is not stored', async () => {
      const key = newKey();
      const first = await strictApp
        .http()
        .post('/orders/rejected')
        .set('Idempotency-Key', key)
        .send({});
      const second = await strictApp
        .http()
        .post('/orders/rejected')
        .set('Idempotency-Key', key)
        .send({});
      expect([first.status, second.status]).toEqual([400, 400]);
      expect([first.body.n, second.body.n]).toEqual([1, 2]);
      expect(second.headers['idempotent-replay']).toBeUndefined();
      expect(calls.of('rejected')).toBe(2);
      expect(seenByShouldStore).toEqual([400, 400]);
      expect(await storedRows(key)).toBe(0);
    });

    it('still stores what it accepts', async () => {
      const key = newKey();
      const first = await strictApp
        .http()
        .post('/orders')
        .set('Idempotency-Key', key)
        .send({ a: 1 });
      const second = await strictApp
        .http()
        .post('/orders')
        .set('Idempotency-Key', key)
        .send({ a: 1 });
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(second.text).toBe(first.text);
      expect(calls.of('create')).toBe(1);
      expect(seenByShouldStore).toEqual([201]);
    });
  });
});
