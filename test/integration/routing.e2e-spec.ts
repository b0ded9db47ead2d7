import { calls } from '../support/calls.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import { routingModule } from '../fixtures/routing/routing.module.js';

describe('which routes are protected', () => {
  const { db, apps } = useTestApps(({ url }) => routingModule(url));
  const [app] = apps;

  async function rowsFor(key: string): Promise<Array<{ scope: string }>> {
    return (
      await db.query<{ scope: string }>('SELECT scope FROM idempotency_keys WHERE key = $1', [key])
    ).rows;
  }

  describe('GET, HEAD and OPTIONS ignore the header, even under a class-level @Idempotent({ required: true })', () => {
    it.each([
      ['GET', 'a valid key', 'same-get-key'],
      ['GET', 'a malformed key', 'bad key'],
      ['HEAD', 'a valid key', 'same-head-key'],
      ['OPTIONS', 'a valid key', 'same-options-key'],
    ])('%s with %s runs the handler every time', async (method, _, key) => {
      const counter = method === 'OPTIONS' ? 'options' : 'list';
      const send = () =>
        method === 'GET'
          ? app.http().get('/accounts').set('Idempotency-Key', key)
          : method === 'HEAD'
            ? app.http().head('/accounts').set('Idempotency-Key', key)
            : app.http().options('/accounts').set('Idempotency-Key', key);
      const first = await send();
      const second = await send();
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.headers['idempotent-replay']).toBeUndefined();
      expect(calls.of(counter)).toBe(2);
      expect(await rowsFor(key)).toEqual([]);
    });

    it('GET without a key is not rejected', async () => {
      const response = await app.http().get('/accounts');
      expect(response.status).toBe(200);
      expect(calls.of('list')).toBe(1);
    });
  });

  describe('an undecorated route is untouched', () => {
    it('runs every time with the same key, and stores nothing', async () => {
      const key = newKey();
      const first = await app.http().post('/plain').set('Idempotency-Key', key).send({ a: 1 });
      const second = await app.http().post('/plain').set('Idempotency-Key', key).send({ a: 1 });
      expect([first.body.n, second.body.n]).toEqual([1, 2]);
      expect(second.headers['idempotent-replay']).toBeUndefined();
      expect(await rowsFor(key)).toEqual([]);
    });

    it('does not validate the key', async () => {
      const response = await app
        .http()
        .post('/plain')
        .set('Idempotency-Key', 'bad key')
        .send({ a: 1 });
      expect(response.status).toBe(201);
      expect(calls.of('plain')).toBe(1);
    });
  });

  describe('class-level @Idempotent with method-level overrides', () => {
    it('a method without its own decorator inherits the class options (required)', async () => {
      const response = await app.http().post('/accounts').send({ a: 1 });
      expectProblem(response, 400, 'idempotency_key_missing');
      expect(calls.of('open')).toBe(0);
    });

    it('a method without its own decorator is protected by the class decorator', async () => {
      const key = newKey();
      const first = await app.http().post('/accounts').set('Idempotency-Key', key).send({ a: 1 });
      const second = await app.http().post('/accounts').set('Idempotency-Key', key).send({ a: 1 });
      expect(first.status).toBe(201);
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(second.text).toBe(first.text);
      expect(calls.of('open')).toBe(1);
    });

    it('a method option wins over the class option (required: false)', async () => {
      const first = await app.http().post('/accounts/optional').send({ a: 1 });
      const second = await app.http().post('/accounts/optional').send({ a: 1 });
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(calls.of('open-optional')).toBe(2);
    });

    it('class options the method does not override still apply (scope on the method, required from the class)', async () => {
      const missing = await app.http().post('/accounts/scoped').send({ a: 1 });
      expectProblem(missing, 400, 'idempotency_key_missing');
      const key = newKey();
      await app.http().post('/accounts/scoped').set('Idempotency-Key', key).send({ a: 1 });
      expect(await rowsFor(key)).toEqual([{ scope: expect.stringMatching(/accounts\.scoped$/) }]);
      expect(calls.of('open-scoped')).toBe(1);
    });
  });

  describe('the key option takes the key from the body (webhook style)', () => {
    it('delivers an event once however often it is sent, whatever the header says', async () => {
      const id = `evt_${newKey()}`;
      const first = await app
        .http()
        .post('/webhooks')
        .set('Idempotency-Key', newKey())
        .send({ id, amount: 5 });
      const second = await app
        .http()
        .post('/webhooks')
        .set('Idempotency-Key', newKey())
        .send({ id, amount: 5 });
      const third = await app.http().post('/webhooks').send({ id, amount: 5 });
      expect(first.status).toBe(200);
      expect(first.headers['idempotent-replay']).toBeUndefined();
      for (const replay of [second, third]) {
        expect(replay.status).toBe(200);
        expect(replay.headers['idempotent-replay']).toBe('true');
        expect(replay.text).toBe(first.text);
      }
      expect(calls.of('webhook')).toBe(1);
      expect(await rowsFor(id)).toHaveLength(1);
    });

    it('runs two events with different ids once each', async () => {
      await app
        .http()
        .post('/webhooks')
        .send({ id: `evt_${newKey()}` });
      await app
        .http()
        .post('/webhooks')
        .send({ id: `evt_${newKey()}` });
      expect(calls.of('webhook')).toBe(2);
    });

    it('treats a body without an id as a request without a key', async () => {
      await app.http().post('/webhooks').set('Idempotency-Key', 'header-key').send({ amount: 5 });
      await app.http().post('/webhooks').set('Idempotency-Key', 'header-key').send({ amount: 5 });
      expect(calls.of('webhook')).toBe(2);
      expect(await rowsFor('header-key')).toEqual([]);
    });

    it('validates the key it takes', async () => {
      const response = await app.http().post('/webhooks').send({ id: 'evt with spaces' });
      expectProblem(response, 400, 'idempotency_key_invalid');
      expect(calls.of('webhook')).toBe(0);
    });

    it('answers the same event id with another payload with 409 idempotency_key_reused', async () => {
      const id = `evt_${newKey()}`;
      await app.http().post('/webhooks').send({ id, amount: 5 });
      const changed = await app.http().post('/webhooks').send({ id, amount: 6 });
      expectProblem(changed, 409, 'idempotency_key_reused');
      expect(calls.of('webhook')).toBe(1);
    });
  });
});
