// One example per input class of issue 11's "Why", against the library on real PostgreSQL:
// none gets a 5xx, and none shares a fingerprint or a key with another request.
import { calls } from '../support/calls.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { newKey } from '../support/keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { expectProblem } from '../support/problem.js';
import { hostileModule } from '../fixtures/hostile/hostile.module.js';

describe('hostile input', () => {
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(hostileModule(db.url));
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });
  beforeEach(() => calls.reset());

  function post(key: string, rawJson: string, path = '/hostile') {
    return app
      .http()
      .post(path)
      .set('Idempotency-Key', key)
      .set('Content-Type', 'application/json')
      .send(rawJson);
  }

  describe('deep nesting', () => {
    const nested = (depth: number) => `{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`;

    it('fingerprints 40,000 levels (Express accepts them) and replays the retry', async () => {
      const key = newKey();
      const first = await post(key, nested(40_000));
      const retry = await post(key, ` ${nested(40_000)}\n`);
      expect(first.status).toBe(201);
      expect(retry.headers['idempotent-replay']).toBe('true');
      expect(retry.text).toBe(first.text);
      expectProblem(await post(key, nested(39_999)), 409, 'idempotency_key_reused');
      expect(calls.of('hostile')).toBe(1);
    });
  });

  describe('numbers JSON cannot represent', () => {
    it.each([
      ['1e400 (Infinity) and null', '{"a":1e400}', '{"a":null}'],
      ['-1e400 (-Infinity) and null', '{"a":-1e400}', '{"a":null}'],
      ['-0 and 0', '{"a":-0}', '{"a":0}'],
      ['1e400 and -1e400', '[1e400]', '[-1e400]'],
    ])('%s do not share a fingerprint', async (_, original, other) => {
      const key = newKey();
      expect((await post(key, original)).status).toBe(201);
      expectProblem(await post(key, other), 409, 'idempotency_key_reused');
      const retry = await post(key, original);
      expect(retry.headers['idempotent-replay']).toBe('true');
      expect(calls.of('hostile')).toBe(1);
    });
  });

  describe('characters PostgreSQL refuses, in what the library stores', () => {
    it.each([
      ['U+0000', 'a\u0000b'],
      ['a lone surrogate', 'a\ud800b'],
      ['a lone low surrogate', '\udc00'],
      ['10,000 characters', '\u00e9'.repeat(10_000)],
    ])('a tenant holding %s is scoped and replayed', async (_, tenant) => {
      const key = newKey();
      const body = JSON.stringify({ tenant });
      const first = await post(key, body);
      const retry = await post(key, body);
      expect(first.status).toBe(201);
      expect(retry.headers['idempotent-replay']).toBe('true');
      expect(calls.of('hostile')).toBe(1);
    });

    it('keeps a lone surrogate apart from U+FFFD, in the tenant and in the body', async () => {
      const key = newKey();
      expect((await post(key, JSON.stringify({ tenant: '\ud800' }))).status).toBe(201);
      const otherTenant = await post(key, JSON.stringify({ tenant: '\ufffd' }));
      expect(otherTenant.status).toBe(201);
      expect(otherTenant.headers['idempotent-replay']).toBeUndefined();
      expect((await post(key, JSON.stringify({ tenant: 't', s: '\ud800' }))).status).toBe(201);
      expectProblem(
        await post(key, JSON.stringify({ tenant: 't', s: '\ufffd' })),
        409,
        'idempotency_key_reused',
      );
      expect(calls.of('hostile')).toBe(3);
    });

    it('stores and replays response headers holding every byte a header value may hold', async () => {
      const value = `a\tb ${String.fromCharCode(...Array.from({ length: 0x80 }, (_, i) => 0x80 + i))}`;
      const key = newKey();
      const send = () =>
        app.http().post('/hostile/echo').set('Idempotency-Key', key).set('X-Echo', value).send({});
      const first = await send();
      const retry = await send();
      expect(first.status).toBe(201);
      expect(retry.headers['idempotent-replay']).toBe('true');
      expect(Buffer.from(retry.headers['location'], 'latin1')).toEqual(
        Buffer.from(first.headers['location'], 'latin1'),
      );
      expect(retry.headers['content-language']).toBe(first.headers['content-language']);
      expect(calls.of('hostile-echo')).toBe(1);
    });
  });

  describe('a key from @Idempotent({ key }) is taken literally', () => {
    const deliver = (id: unknown) => app.http().post('/hostile/events').send({ id });

    it('X and "X" name two keys, and each replays', async () => {
      const id = newKey();
      const bare = await deliver(id);
      const quoted = await deliver(`"${id}"`);
      expect([bare.body.n, quoted.body.n]).toEqual([1, 2]);
      expect((await deliver(`"${id}"`)).headers['idempotent-replay']).toBe('true');
      expect((await deliver(id)).text).toBe(bare.text);
      expect(calls.of('hostile-event')).toBe(2);
      const { rows } = await db.query('SELECT key FROM idempotency_keys WHERE key LIKE $1', [
        `%${id}%`,
      ]);
      expect(rows.map((row) => row.key).sort()).toEqual([`"${id}"`, id].sort());
    });

    it.each([
      ['a number', 5],
      ['a space', 'a b'],
      ['a non-ASCII character', 'caf\u00e9'],
      ['1,025 characters', 'k'.repeat(1025)],
    ])('%s is 400 idempotency_key_invalid, and nothing runs', async (_, id) => {
      expectProblem(await deliver(id), 400, 'idempotency_key_invalid');
      expect(calls.of('hostile-event')).toBe(0);
    });

    it('a value the header would refuse as a malformed SF string is a key of its own', async () => {
      const id = `"${newKey()}"x"`;
      const first = await deliver(id);
      expect(first.status).toBe(200);
      expect((await deliver(id)).headers['idempotent-replay']).toBe('true');
      expect(calls.of('hostile-event')).toBe(1);
    });

    it('null is no key: the route runs unprotected', async () => {
      expect((await deliver(null)).status).toBe(200);
      expect((await deliver(null)).status).toBe(200);
      expect(calls.of('hostile-event')).toBe(2);
    });
  });
});
