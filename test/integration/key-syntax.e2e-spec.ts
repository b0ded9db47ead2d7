import { calls } from '../support/calls.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

const VISIBLE_ASCII = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) =>
  String.fromCharCode(0x21 + i),
).join('');

describe('the Idempotency-Key header', () => {
  const { db, apps } = useTestApps(
    ({ url }) => ordersModule(url),
    ({ url }) => ordersModule(url, { required: true }),
    ({ url }) => ordersModule(url, { headerName: 'X-Request-Key', maxKeyLength: 8 }),
  );
  const [app, requiredApp, customApp] = apps;

  describe('accepts 1 to maxKeyLength characters of visible ASCII', () => {
    it.each([
      ['one character', '!'],
      ['128 characters', 'k'.repeat(128)],
      ['every visible ASCII character', VISIBLE_ASCII],
    ])('runs once and replays a key of %s', async (_, key) => {
      const first = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
      const second = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(second.text).toBe(first.text);
      expect(calls.of('create')).toBe(1);
    });
  });

  describe('a Structured Field string names the same key as its content', () => {
    it.each([
      ['"abc-sf"', 'abc-sf'],
      ['"quote\\"inside"', 'quote"inside'],
      ['"back\\\\slash"', 'back\\slash'],
    ])('%s replays the operation of %s', async (quoted, bare) => {
      const first = await app
        .http()
        .post('/orders')
        .set('Idempotency-Key', bare)
        .send({ sf: bare });
      const second = await app
        .http()
        .post('/orders')
        .set('Idempotency-Key', quoted)
        .send({ sf: bare });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(second.text).toBe(first.text);
      expect(calls.of('create')).toBe(1);
    });
  });

  describe('rejects a malformed key with 400 idempotency_key_invalid, and nothing runs', () => {
    it.each([
      ['empty', ''],
      ['129 characters', 'k'.repeat(129)],
      ['a space', 'a b'],
      ['a tab', 'a\tb'],
      ['a non-ASCII character', 'caf\u00e9'],
      ['an empty SF string', '""'],
      ['an SF string with a bare quote', '"a"b"'],
      ['an SF string with an unknown escape', '"a\\nb"'],
      ['an SF string whose closing quote is escaped', '"ab\\"'],
      ['an SF string holding a space', '"a b"'],
      ['an SF string longer than 128 characters', `"${'k'.repeat(129)}"`],
    ])('%s', async (_, key) => {
      const response = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
      expectProblem(response, 400, 'idempotency_key_invalid');
      expect(calls.of('create')).toBe(0);
      const { rows } = await db.query(
        'SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1',
        [key],
      );
      expect(rows[0].n).toBe(0);
    });
  });

  describe('a missing key', () => {
    it('on an optional route runs the handler every time, without replay', async () => {
      const first = await app.http().post('/orders').send({ a: 1 });
      const second = await app.http().post('/orders').send({ a: 1 });
      expect([first.status, second.status]).toEqual([201, 201]);
      expect([first.body.n, second.body.n]).toEqual([1, 2]);
      expect(second.headers['idempotent-replay']).toBeUndefined();
      expect(calls.of('create')).toBe(2);
    });

    it('on a route with @Idempotent({ required: true }) is 400 idempotency_key_missing, and nothing runs', async () => {
      const response = await app.http().post('/orders/required').send({ a: 1 });
      expectProblem(response, 400, 'idempotency_key_missing');
      expect(calls.of('required')).toBe(0);
    });

    it('with the module option required: true is 400 idempotency_key_missing, and nothing runs', async () => {
      const response = await requiredApp.http().post('/orders').send({ a: 1 });
      expectProblem(response, 400, 'idempotency_key_missing');
      expect(calls.of('create')).toBe(0);
    });

    it('with required: true on the module, a route with required: false still runs without a key', async () => {
      const first = await requiredApp.http().post('/orders/optional').send({ a: 1 });
      const second = await requiredApp.http().post('/orders/optional').send({ a: 1 });
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(calls.of('optional')).toBe(2);
    });

    it('with required: true on the module, a route with a key is protected as usual', async () => {
      const key = newKey();
      const first = await requiredApp
        .http()
        .post('/orders')
        .set('Idempotency-Key', key)
        .send({ a: 1 });
      const second = await requiredApp
        .http()
        .post('/orders')
        .set('Idempotency-Key', key)
        .send({ a: 1 });
      expect(second.text).toBe(first.text);
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(calls.of('create')).toBe(1);
    });
  });

  describe('custom headerName and maxKeyLength', () => {
    it('reads the key from the configured header', async () => {
      const first = await customApp
        .http()
        .post('/orders')
        .set('X-Request-Key', 'k8-chars')
        .send({ a: 1 });
      const second = await customApp
        .http()
        .post('/orders')
        .set('X-Request-Key', 'k8-chars')
        .send({ a: 1 });
      expect(first.status).toBe(201);
      expect(second.headers['idempotent-replay']).toBe('true');
      expect(second.text).toBe(first.text);
      expect(calls.of('create')).toBe(1);
    });

    it('ignores the default Idempotency-Key header then', async () => {
      const first = await customApp
        .http()
        .post('/orders')
        .set('Idempotency-Key', 'default')
        .send({ a: 1 });
      const second = await customApp
        .http()
        .post('/orders')
        .set('Idempotency-Key', 'default')
        .send({ a: 1 });
      expect(second.headers['idempotent-replay']).toBeUndefined();
      expect([first.body.n, second.body.n]).toEqual([1, 2]);
      expect(calls.of('create')).toBe(2);
    });

    it('rejects a key one character over maxKeyLength', async () => {
      const response = await customApp
        .http()
        .post('/orders')
        .set('X-Request-Key', 'k9-chars!')
        .send({ a: 1 });
      expectProblem(response, 400, 'idempotency_key_invalid');
      expect(calls.of('create')).toBe(0);
    });
  });
});
