import type { Response } from 'supertest';
import { REPLAYED_HEADERS } from '../../lib/index.js';
import { calls } from '../support/calls.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

/** The header lines a replay is compared by, as they were sent: names keep their capitals. */
const COMPARED = new Set<string>([...REPLAYED_HEADERS, 'idempotent-replay', 'content-length']);

function headerLines(response: Response): string[] {
  const raw = (response as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
  const lines: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (COMPARED.has(raw[i].toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  return lines.sort();
}

// Runs in the `lib` project only: it starts one app on each adapter itself.
describe('an Express app and a Fastify app on one database', () => {
  let express: TestApp | undefined;
  let fastify: TestApp | undefined;
  const db = useTestDatabase({
    beforeDrop: () => Promise.all([express?.close(), fastify?.close()]),
  });
  beforeAll(async () => {
    express = await createTestApp(ordersModule(db.url), { adapter: 'express' });
    fastify = await createTestApp(ordersModule(db.url), { adapter: 'fastify' });
  });
  beforeEach(() => calls.reset());

  it.each([
    ['a JSON 201', '/orders', 'create'],
    ['a 202 with a Location and a vendor Content-Type', '/orders/located', 'located'],
    ['a text/plain string', '/orders/text', 'text'],
    ['a StreamableFile (text/csv)', '/orders/export', 'export'],
    ['a 204 without a body', '/orders/silent', 'silent'],
    ['a stored 400', '/orders/rejected', 'rejected'],
  ])(
    '%s completed on either is replayed by both: same status, body bytes and header lines',
    async (_, path, counter) => {
      for (const [origin, other] of [
        [express!, fastify!],
        [fastify!, express!],
      ]) {
        const key = newKey();
        const send = (app: TestApp) =>
          app.http().post(path).set('Idempotency-Key', key).send({ a: 'é ✓' });
        const first = await send(origin);
        const [own, across] = [await send(origin), await send(other)];
        for (const replay of [own, across]) {
          expect(replay.status).toBe(first.status);
          expect(replay.headers['idempotent-replay']).toBe('true');
          expect(Buffer.from(replay.text)).toEqual(Buffer.from(first.text));
          expect(replay.headers['content-type']).toBe(first.headers['content-type']);
          expect(replay.headers.location).toBe(first.headers.location);
        }
        expect(headerLines(across)).toEqual(headerLines(own));
      }
      expect(calls.of(counter)).toBe(2);
    },
  );

  it('answers a reused key with the same problem, byte for byte', async () => {
    const key = newKey();
    await express!.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
    const [fromExpress, fromFastify] = await Promise.all(
      [express!, fastify!].map((app) =>
        app.http().post('/orders').set('Idempotency-Key', key).send({ a: 2 }),
      ),
    );
    expectProblem(fromExpress, 409, 'idempotency_key_reused');
    expectProblem(fromFastify, 409, 'idempotency_key_reused');
    expect(fromFastify.text).toBe(fromExpress.text);
    expect(fromFastify.headers['content-type']).toBe(fromExpress.headers['content-type']);
    expect(calls.of('create')).toBe(1);
  });
});
