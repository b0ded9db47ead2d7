// One example per input class of issue 11's "Why", against the sample app as a black box: no
// input gets a 5xx, refused input is a stored and replayed 400, and a 413 reaches the client.
import { connect } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  killAllSampleApps,
  startSampleApp,
  type SampleApp,
} from '../support/sample-app-process.js';
import { newKey } from '../support/keys.js';
import { expectSampleAppProblem as expectProblem } from '../support/problem.js';
import { expectReplayOf, isReplay } from '../support/replay.js';
import { balanceOf, customerCount } from '../support/sample-app-state.js';
import { newToken } from '../support/tenants.js';

let db: TestDatabase;
let app: SampleApp;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  app = await startSampleApp({ databaseUrl: db.url });
});

afterAll(async () => {
  await killAllSampleApps();
  await db?.drop();
});

function post(path: string, token: string, key: string | undefined, rawBody: string) {
  return app.request('POST', path, { token, key, rawBody });
}

describe('deep nesting', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('a body nested 200,000 levels deep creates the customer once, and its retry is replayed', async () => {
    const token = newToken();
    const key = newKey();
    const body = (space: string) => `{"name":"Ada",${space}"extra":${nested(200_000)}}`;
    const first = await post('/customers', token, key, body(''));
    expect(first.status).toBe(201);
    expectReplayOf(await post('/customers', token, key, body('\n ')), first);
    expect(await customerCount(app, token)).toBe(1);
  });

  it('a deeply nested array where an object belongs is a stored 400', async () => {
    const token = newToken();
    const key = newKey();
    const first = await post('/economy/adjust', token, key, nested(200_000));
    expectProblem(first, 400, 'validation_failed');
    expectReplayOf(await post('/economy/adjust', token, key, nested(200_000)), first);
  });
});

describe('characters PostgreSQL cannot store', () => {
  const valid = {
    '/customers': { name: 'Ada', email: 'ada@example.com' },
    '/economy/adjust': { user_id: 'u1', delta: 5, reason: 'bonus' },
    '/webhooks/events': {
      id: 'evt',
      type: 'balance.credited',
      data: { user_id: 'u1', amount: 5 },
    },
  };
  const cases = [
    ['/customers', 'name'],
    ['/customers', 'email'],
    ['/economy/adjust', 'user_id'],
    ['/economy/adjust', 'reason'],
    ['/webhooks/events', 'data.user_id'],
  ] as const;
  const characters = [
    ['U+0000', 'a\u0000b'],
    ['a lone surrogate', 'a\ud800b'],
    ['a lone low surrogate', '\udc00'],
  ] as const;

  it.each(
    cases.flatMap(([path, field]) => characters.map(([what, text]) => [path, field, what, text])),
  )(
    'POST %s with %s holding %s is a 400 validation problem, stored and replayed; nothing is written',
    async (path, field, _, text) => {
      const token = newToken();
      const body = structuredClone(valid[path as keyof typeof valid]) as Record<string, unknown>;
      if (field === 'data.user_id') (body.data as Record<string, unknown>).user_id = text;
      else body[field] = text;
      if (path === '/webhooks/events') body.id = newKey('evt');
      const raw = JSON.stringify(body); // escapes a lone surrogate as \ud800, as a client would
      const key = path === '/webhooks/events' ? undefined : newKey();
      const first = await post(path, token, key, raw);
      expectProblem(first, 400, 'validation_failed');
      expect(first.json.detail).toContain(`"${field}" must not contain U+0000`);
      expectReplayOf(await post(path, token, key, raw), first);
      expect(await customerCount(app, token)).toBe(0);
      expect(await balanceOf(app, token, 'u1')).toBe(0);
    },
  );

  it('GET /economy/balances/%00 answers a balance of 0: no such user can have been adjusted', async () => {
    const response = await app.request('GET', '/economy/balances/%00', { token: newToken() });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ user_id: '\u0000', balance: 0 });
  });
});

describe('numbers JSON cannot represent', () => {
  it('1e400 (Infinity) is a 400, and the same key with null is another request (409)', async () => {
    const token = newToken();
    const key = newKey();
    const first = await post(
      '/economy/adjust',
      token,
      key,
      '{"user_id":"u","delta":1e400,"reason":"r"}',
    );
    expectProblem(first, 400, 'validation_failed');
    const other = await post(
      '/economy/adjust',
      token,
      key,
      '{"user_id":"u","delta":null,"reason":"r"}',
    );
    expectProblem(other, 409, 'idempotency_key_reused');
  });

  it('-0 and 0 are two requests', async () => {
    const token = newToken();
    const key = newKey();
    expect((await post('/customers', token, key, '{"name":"Ada","n":-0}')).status).toBe(201);
    expectProblem(
      await post('/customers', token, key, '{"name":"Ada","n":0}'),
      409,
      'idempotency_key_reused',
    );
  });

  it('2^53 + 1 is a 400: it would be stored as 2^53', async () => {
    const response = await post(
      '/economy/adjust',
      newToken(),
      newKey(),
      '{"user_id":"u","delta":9007199254740993,"reason":"r"}',
    );
    expectProblem(response, 400, 'validation_failed');
  });
});

describe('an oversized body sent at once', () => {
  it.each([2, 16])(
    'reaches fetch sending %d MB as a 413 problem, every time',
    async (megabytes) => {
      const body = Buffer.alloc(megabytes * 1024 * 1024, 'x');
      for (let i = 0; i < 10; i++) {
        const response = await fetch(`${app.url}/customers`, {
          method: 'POST',
          headers: { authorization: `Bearer ${newToken()}`, 'content-type': 'application/json' },
          body,
        });
        expect(response.status).toBe(413);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(await response.json()).toEqual(
          expect.objectContaining({ code: 'payload_too_large' }),
        );
      }
    },
  );

  it.each([
    ['Content-Length', 2],
    ['Content-Length', 16],
    ['Transfer-Encoding: chunked', 2],
    ['Transfer-Encoding: chunked', 16],
  ])(
    'reaches a raw socket that writes its request (%s, %d MB) at once',
    async (framing, megabytes) => {
      const body = Buffer.alloc(megabytes * 1024 * 1024, 'x');
      for (let i = 0; i < 5; i++) {
        const answer = await new Promise<string>((resolve) => {
          const socket = connect(app.port, '127.0.0.1');
          let received = '';
          socket.on('data', (chunk) => (received += chunk.toString('latin1')));
          socket.on('error', () => undefined); // the answer is what counts
          socket.on('close', () => resolve(received));
          const head = `POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n`;
          if (framing === 'Content-Length') {
            socket.end(
              Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\n\r\n`), body]),
            );
          } else {
            const chunk = Buffer.concat([
              Buffer.from(`${body.length.toString(16)}\r\n`),
              body,
              Buffer.from('\r\n0\r\n\r\n'),
            ]);
            socket.end(
              Buffer.concat([Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n`), chunk]),
            );
          }
        });
        expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
      }
    },
  );

  it('leaves the app serving', async () => {
    expect((await app.request('GET', '/health')).status).toBe(200);
  });
});

describe('a webhook event id is a key taken literally', () => {
  it('the events X and "X" are credited once each', async () => {
    const token = newToken();
    const id = newKey('evt');
    const deliver = (eventId: string) =>
      app.request('POST', '/webhooks/events', {
        token,
        body: { id: eventId, type: 'balance.credited', data: { user_id: 'w', amount: 7 } },
      });
    const bare = await deliver(id);
    const quoted = await deliver(`"${id}"`);
    expect([bare.status, quoted.status]).toEqual([200, 200]);
    expect(isReplay(quoted)).toBe(false);
    expect(quoted.json).toEqual({ received: true, event_id: `"${id}"` });
    expectReplayOf(await deliver(`"${id}"`), quoted);
    expect(await balanceOf(app, token, 'w')).toBe(14);
  });
});
