import { jest } from '@jest/globals';
import { StreamableFile } from '@nestjs/common';
import { calls } from '../support/calls.js';
import { TEST_ADAPTER } from '../support/create-test-app.js';
import { newKey } from '../support/keys.js';
import { useTestApps } from '../support/use-test-apps.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

describe('replaying a completed key', () => {
  const { db, apps } = useTestApps(
    ({ url }) => ordersModule(url),
    ({ url }) => ordersModule(url, { replayHeaderName: 'X-Replayed' }),
  );
  const [app, renamedApp] = apps;

  // Express sends a replay with one end() (sendReplaysDirectly); Fastify pipes its stream, so
  // that its onSend hooks (compression...) see it.
  (TEST_ADAPTER === 'express' ? it : it.skip)(
    'sends a replay on Express without reading the stream of a StreamableFile',
    async () => {
      const key = newKey();
      const first = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 2 });
      const getStream = jest.spyOn(StreamableFile.prototype, 'getStream');
      try {
        const replay = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 2 });
        expect(replay.headers['idempotent-replay']).toBe('true');
        expect(replay.text).toBe(first.text);
        expect(getStream).not.toHaveBeenCalled();
      } finally {
        getStream.mockRestore();
      }
    },
  );

  it('runs the handler once and sends the first response without a replay header', async () => {
    const response = await app
      .http()
      .post('/orders')
      .set('Idempotency-Key', newKey())
      .send({ a: 1 });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ n: 1, body: { a: 1 }, query: {} });
    expect(response.headers['idempotent-replay']).toBeUndefined();
    expect(calls.of('create')).toBe(1);
  });

  it('replays the stored 201 with the original body bytes and Idempotent-Replay: true', async () => {
    const key = newKey();
    const first = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 'é ✓' });
    const replays = [];
    for (let i = 0; i < 3; i++) {
      replays.push(await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 'é ✓' }));
    }
    for (const replay of replays) {
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replay']).toBe('true');
      expect(Buffer.from(replay.text)).toEqual(Buffer.from(first.text));
      expect(replay.headers['content-type']).toBe(first.headers['content-type']);
    }
    expect(calls.of('create')).toBe(1);
  });

  it('replays the status, Content-Type and Location the handler set', async () => {
    const key = newKey();
    const first = await app
      .http()
      .post('/orders/located')
      .set('Idempotency-Key', key)
      .send({ a: 1 });
    const second = await app
      .http()
      .post('/orders/located')
      .set('Idempotency-Key', key)
      .send({ a: 1 });
    expect(first.status).toBe(202);
    expect(first.headers['content-type']).toMatch(/^application\/vnd\.acme\.order\+json/);
    expect(first.headers.location).toBe('/orders/1');
    expect(first.headers['idempotent-replay']).toBeUndefined();
    expect(second.status).toBe(202);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.headers.location).toBe('/orders/1');
    expect(second.headers['idempotent-replay']).toBe('true');
    expect(second.text).toBe(first.text);
    expect(calls.of('located')).toBe(1);
  });

  it.each([
    ['a 204 without a body', '/orders/silent', 'silent', 204],
    ['a 204 whose handler returned a value', '/orders/acknowledged', 'acknowledged', 204],
    ['a text/plain string', '/orders/text', 'text', 201],
    ['a StreamableFile (text/csv)', '/orders/export', 'export', 201],
  ])('replays %s', async (_, path, counter, status) => {
    const key = newKey();
    const first = await app.http().post(path).set('Idempotency-Key', key).send({});
    const second = await app.http().post(path).set('Idempotency-Key', key).send({});
    expect(first.status).toBe(status);
    expect(second.status).toBe(status);
    expect(second.headers['idempotent-replay']).toBe('true');
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.text).toBe(first.text);
    expect(calls.of(counter)).toBe(1);
  });

  // Its replay is not sent: a handler that takes @Res() sends its answers itself (see Limits).
  it('stores a body written on the raw Node.js response (@Res()) as it went out', async () => {
    const key = newKey();
    const first = await app.http().post('/orders/raw').set('Idempotency-Key', key).send({});
    expect(first.status).toBe(201);
    expect(first.text).toBe('raw #1, written by hand');
    const { rows } = await db.query(
      'SELECT status, response_status, response_headers, response_body FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(rows).toEqual([
      {
        status: 'completed',
        response_status: 201,
        response_headers: { 'content-type': 'text/plain; charset=utf-8' },
        response_body: Buffer.from(first.text),
      },
    ]);
  });

  it('does not replay one key into another: a second key runs the handler again', async () => {
    const first = await app.http().post('/orders').set('Idempotency-Key', newKey()).send({ a: 1 });
    const second = await app.http().post('/orders').set('Idempotency-Key', newKey()).send({ a: 1 });
    expect([first.body.n, second.body.n]).toEqual([1, 2]);
    expect(second.headers['idempotent-replay']).toBeUndefined();
  });

  it('marks replays with a custom replayHeaderName', async () => {
    const key = newKey();
    const first = await renamedApp
      .http()
      .post('/orders')
      .set('Idempotency-Key', key)
      .send({ a: 1 });
    const second = await renamedApp
      .http()
      .post('/orders')
      .set('Idempotency-Key', key)
      .send({ a: 1 });
    expect(first.headers['x-replayed']).toBeUndefined();
    expect(second.headers['x-replayed']).toBe('true');
    expect(second.headers['idempotent-replay']).toBeUndefined();
    expect(second.text).toBe(first.text);
    expect(calls.of('create')).toBe(1);
  });
});
