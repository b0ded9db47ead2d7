// The sample app as a black box: start-up, tenancy, every route of the contract, validation.
// One app process (no SAMPLE_FAULTS, no HOST: the defaults) for the file; every test has its own
// tenant (token), so tests do not see each other's data.
import { randomUUID } from 'node:crypto';
import { newKey } from '../support/keys.js';
import { expectSampleAppProblem } from '../support/problem.js';
import { expectReplayOf, isReplay } from '../support/replay.js';
import {
  describeResponse,
  killAllSampleApps,
  startSampleApp,
  type SampleApp,
} from '../support/sample-app-process.js';
import { balanceOf, customerCount, displayNumber } from '../support/sample-app-state.js';
import { newToken } from '../support/tenants.js';
import { useTestDatabase } from '../support/use-test-database.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const db = useTestDatabase({ migrate: false, beforeDrop: killAllSampleApps });
let app: SampleApp;

beforeAll(async () => {
  // HOST left unset: the contract's default, 127.0.0.1.
  app = await startSampleApp({ databaseUrl: db.url, env: { HOST: undefined } });
});

async function createCustomer(
  token: string,
  body: unknown = { name: 'Ada', email: 'ada@example.com' },
) {
  const response = await app.request('POST', '/customers', { token, body });
  if (response.status !== 201) throw new Error(`POST /customers: ${describeResponse(response)}`);
  return response;
}

describe('Starting it', () => {
  it('answers GET /health with 200 {"status":"ok"} and needs no token', async () => {
    const response = await app.request('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: 'ok' });
  });

  it('serves on PORT, bound on 127.0.0.1 when HOST is unset (not on another loopback address)', async () => {
    expect((await app.request('GET', '/health')).status).toBe(200);
    const other = await fetchStatus(`http://127.0.0.2:${app.port}/health`);
    expect(other).toMatch(/ECONNREFUSED/);
  });

  it('binds on HOST when HOST says otherwise', async () => {
    const elsewhere = await startSampleApp({ databaseUrl: db.url, host: '127.0.0.2' });
    try {
      expect((await elsewhere.request('GET', '/health')).status).toBe(200);
      expect(await fetchStatus(`http://127.0.0.1:${elsewhere.port}/health`)).toMatch(
        /ECONNREFUSED/,
      );
    } finally {
      await elsewhere.stop();
    }
  });
});

describe('The API documentation (an extra route, outside the contract)', () => {
  it('serves a Swagger UI at /docs without a token', async () => {
    const response = await app.request('GET', '/docs');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
  });

  it('documents the idempotency of each route in /docs-json', async () => {
    const { status, json } = await app.request('GET', '/docs-json');
    expect(status).toBe(200);
    const keyHeader = (path: string) =>
      json.paths[path].post.parameters.find(
        (parameter: { name: string }) => parameter.name === 'Idempotency-Key',
      );
    expect(keyHeader('/customers')).toEqual(expect.objectContaining({ required: false }));
    expect(keyHeader('/economy/adjust')).toEqual(expect.objectContaining({ required: true }));
    // Deduplicated by the event's id, not by a header.
    expect(keyHeader('/webhooks/events')).toBeUndefined();
    expect(Object.keys(json.paths['/economy/adjust'].post.responses).sort()).toEqual(
      ['201', '400', '409', '503'].sort(),
    );
    expect(json.paths['/health'].get.responses['200'].headers).toBeUndefined();
  });

  it('leaves the contract alone: the routes still need a token, unknown paths are 404 problems', async () => {
    expectSampleAppProblem(await app.request('GET', '/customers'), 401);
    expectSampleAppProblem(await app.request('GET', '/docs/no-such-file.js'), 404);
  });
});

describe('Tenancy', () => {
  it.each([
    ['GET', '/customers'],
    ['POST', '/customers'],
    ['GET', '/customers/00000000-0000-4000-8000-000000000000'],
    ['DELETE', '/customers/00000000-0000-4000-8000-000000000000'],
    ['POST', '/economy/adjust'],
    ['GET', '/economy/balances/u1'],
    ['POST', '/webhooks/events'],
  ])('answers %s %s without a token with 401 problem+json', async (method, path) => {
    const body = method === 'POST' ? {} : undefined;
    expectSampleAppProblem(await app.request(method, path, { body }), 401);
    expectSampleAppProblem(
      await app.request(method, path, { body, headers: { authorization: 'Bearer ' } }),
      401,
    );
  });

  it('runs nothing for a request without a token', async () => {
    const token = newToken();
    const key = newKey();
    const body = { name: 'Ada' };
    expectSampleAppProblem(await app.request('POST', '/customers', { key, body }), 401);
    expectSampleAppProblem(
      await app.request('POST', '/economy/adjust', { key, body: adjust('u1', 5) }),
      401,
    );
    expect(await customerCount(app, token)).toBe(0);
    // The key was not used up by the 401 either.
    const first = await app.request('POST', '/customers', { token, key, body });
    expect(first.status).toBe(201);
    expect(isReplay(first)).toBe(false);
  });

  it("answers another tenant's customer with 404, on GET and DELETE, and leaves it out of the list", async () => {
    const owner = newToken('owner');
    const stranger = newToken('stranger');
    const created = (await createCustomer(owner)).json;
    expectSampleAppProblem(
      await app.request('GET', `/customers/${created.id}`, { token: stranger }),
      404,
    );
    expectSampleAppProblem(
      await app.request('DELETE', `/customers/${created.id}`, { token: stranger }),
      404,
    );
    expect((await app.request('GET', '/customers', { token: stranger })).json).toEqual({
      data: [],
      total: 0,
    });
    // The stranger's DELETE did nothing.
    expect((await app.request('GET', `/customers/${created.id}`, { token: owner })).json).toEqual(
      created,
    );
  });

  it("keeps each tenant's balances apart", async () => {
    const a = newToken('a');
    const b = newToken('b');
    expect(
      (
        await app.request('POST', '/economy/adjust', {
          token: a,
          key: newKey(),
          body: adjust('u1', 7),
        })
      ).status,
    ).toBe(201);
    expect(await balanceOf(app, a, 'u1')).toBe(7);
    expect(await balanceOf(app, b, 'u1')).toBe(0);
  });

  it('treats the same key from two tokens as two operations', async () => {
    const a = newToken('a');
    const b = newToken('b');
    const key = newKey();
    const body = { name: 'Same', email: 'same@example.com' };
    const fromA = await app.request('POST', '/customers', { token: a, key, body });
    const fromB = await app.request('POST', '/customers', { token: b, key, body });
    expect([fromA.status, fromB.status]).toEqual([201, 201]);
    expect([isReplay(fromA), isReplay(fromB)]).toEqual([false, false]);
    expect(fromB.json.id).not.toBe(fromA.json.id);
    expect([await customerCount(app, a), await customerCount(app, b)]).toEqual([1, 1]);
  });

  it('treats the same key on two endpoints as two operations', async () => {
    const token = newToken();
    const key = newKey();
    const customer = await app.request('POST', '/customers', { token, key, body: { name: 'Ada' } });
    const adjustment = await app.request('POST', '/economy/adjust', {
      token,
      key,
      body: adjust('u1', 3),
    });
    expect([customer.status, adjustment.status]).toEqual([201, 201]);
    expect([isReplay(customer), isReplay(adjustment)]).toEqual([false, false]);
    expect(adjustment.json.balance).toBe(3);
  });

  it('deduplicates webhook events per tenant: the same event id credits each tenant once', async () => {
    const a = newToken('a');
    const b = newToken('b');
    const event = webhook(`evt_${randomUUID()}`, 'u1', 10);
    expect((await app.request('POST', '/webhooks/events', { token: a, body: event })).status).toBe(
      200,
    );
    expect((await app.request('POST', '/webhooks/events', { token: b, body: event })).status).toBe(
      200,
    );
    expect([await balanceOf(app, a, 'u1'), await balanceOf(app, b, 'u1')]).toEqual([10, 10]);
  });
});

describe('POST /customers', () => {
  it('answers 201 with id, display_id, name, email, created_at and Location: /customers/<id>', async () => {
    const token = newToken();
    const response = await createCustomer(token, {
      name: 'Ada Lovelace',
      email: 'ada@example.com',
    });
    expect(response.headers['content-type']).toMatch(/^application\/json\b/);
    expect(response.json).toEqual({
      id: expect.stringMatching(UUID),
      display_id: expect.stringMatching(/^cus_\d+$/),
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      created_at: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(response.json.created_at))).toBe(false);
    expect(response.headers['location']).toBe(`/customers/${response.json.id}`);
  });

  it('accepts a customer without email and still answers the email field (null)', async () => {
    const response = await createCustomer(newToken(), { name: 'No Mail' });
    expect(response.json).toHaveProperty('email');
    expect(response.json.email ?? null).toBeNull();
  });

  it('numbers display_id cus_<n> per tenant: 1, 2, 3 in one tenant, 1 again in another', async () => {
    const a = newToken('a');
    const b = newToken('b');
    const numbers = [];
    for (let i = 0; i < 3; i++) numbers.push(displayNumber((await createCustomer(a)).json));
    expect(numbers).toEqual([1, 2, 3]);
    expect(displayNumber((await createCustomer(b)).json)).toBe(1);
  });

  it('runs every time when no key is sent (the key is optional)', async () => {
    const token = newToken();
    const body = { name: 'Twice' };
    const first = await app.request('POST', '/customers', { token, body });
    const second = await app.request('POST', '/customers', { token, body });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect([isReplay(first), isReplay(second)]).toEqual([false, false]);
    expect(second.json.id).not.toBe(first.json.id);
    expect(await customerCount(app, token)).toBe(2);
  });
});

describe('GET /customers', () => {
  it("answers 200 {data, total} with the tenant's customers, soft-deleted ones left out", async () => {
    const token = newToken();
    const kept = [
      (await createCustomer(token, { name: 'A' })).json,
      (await createCustomer(token, { name: 'B' })).json,
    ];
    const deleted = (await createCustomer(token, { name: 'C' })).json;
    expect((await app.request('DELETE', `/customers/${deleted.id}`, { token })).status).toBe(200);
    const response = await app.request('GET', '/customers', { token });
    expect(response.status).toBe(200);
    expect(response.json.total).toBe(2);
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect([...response.json.data].sort(byId)).toEqual([...kept].sort(byId));
  });

  it('answers {"data": [], "total": 0} for a tenant without customers', async () => {
    const response = await app.request('GET', '/customers', { token: newToken() });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ data: [], total: 0 });
  });
});

describe('GET /customers/:id', () => {
  it('answers 200 with the customer as it was created', async () => {
    const token = newToken();
    const created = (await createCustomer(token)).json;
    const response = await app.request('GET', `/customers/${created.id}`, { token });
    expect(response.status).toBe(200);
    expect(response.json).toEqual(created);
  });

  it.each([
    ['an unknown uuid', randomUUID()],
    ['an id that is not a uuid', 'not-a-uuid'],
    ['a display id', 'cus_1'],
  ])('answers %s with 404 problem+json (not 500)', async (_label, id) => {
    const token = newToken();
    await createCustomer(token);
    expectSampleAppProblem(await app.request('GET', `/customers/${id}`, { token }), 404);
  });
});

describe('DELETE /customers/:id', () => {
  it('answers 200 with the deleted customer, and the same body when deleting again', async () => {
    const token = newToken();
    const created = (await createCustomer(token)).json;
    const first = await app.request('DELETE', `/customers/${created.id}`, { token });
    expect(first.status).toBe(200);
    expect(first.json).toEqual(expect.objectContaining(created));
    const again = await app.request('DELETE', `/customers/${created.id}`, { token });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(await customerCount(app, token)).toBe(0);
  });

  it.each([
    ['an unknown uuid', randomUUID()],
    ['an id that is not a uuid', 'not-a-uuid'],
  ])('answers %s with 404 problem+json', async (_label, id) => {
    expectSampleAppProblem(
      await app.request('DELETE', `/customers/${id}`, { token: newToken() }),
      404,
    );
  });
});

describe('POST /economy/adjust and GET /economy/balances/:user_id', () => {
  it('answers 201 {adjustment_id, user_id, delta, balance} with the running balance', async () => {
    const token = newToken();
    const first = await app.request('POST', '/economy/adjust', {
      token,
      key: newKey(),
      body: adjust('u1', 100),
    });
    expect(first.status).toBe(201);
    expect(first.json).toEqual({
      adjustment_id: expect.anything(),
      user_id: 'u1',
      delta: 100,
      balance: 100,
    });
    const second = await app.request('POST', '/economy/adjust', {
      token,
      key: newKey(),
      body: adjust('u1', -30),
    });
    expect(second.status).toBe(201);
    expect(second.json).toEqual(
      expect.objectContaining({ user_id: 'u1', delta: -30, balance: 70 }),
    );
    expect(second.json.adjustment_id).not.toEqual(first.json.adjustment_id);
  });

  it('answers GET /economy/balances/:user_id with 200 {user_id, balance}', async () => {
    const token = newToken();
    await app.request('POST', '/economy/adjust', { token, key: newKey(), body: adjust('u2', 42) });
    const response = await app.request('GET', '/economy/balances/u2', { token });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ user_id: 'u2', balance: 42 });
  });

  it('answers a balance of 0 for a user never adjusted', async () => {
    const response = await app.request('GET', '/economy/balances/nobody', { token: newToken() });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ user_id: 'nobody', balance: 0 });
  });

  // Its required key: see "Without a key" in idempotency.e2e-spec.ts.
});

describe('POST /webhooks/events', () => {
  it('answers 200 {received: true, event_id} and applies the credit', async () => {
    const token = newToken();
    const id = `evt_${randomUUID()}`;
    const response = await app.request('POST', '/webhooks/events', {
      token,
      body: webhook(id, 'u1', 25),
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ received: true, event_id: id });
    expect(await balanceOf(app, token, 'u1')).toBe(25);
  });

  it('applies the credit once however often the event is delivered, answering the same 200 each time', async () => {
    const token = newToken();
    const id = `evt_${randomUUID()}`;
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(
        await app.request('POST', '/webhooks/events', { token, body: webhook(id, 'u1', 25) }),
      );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => JSON.stringify(answer.json))).size).toBe(1);
    expect(await balanceOf(app, token, 'u1')).toBe(25);
  });

  it('applies the credit once when the same event is delivered concurrently (409 in_use or the same 200)', async () => {
    const token = newToken();
    const id = `evt_${randomUUID()}`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        app.request('POST', '/webhooks/events', { token, body: webhook(id, 'u1', 5) }),
      ),
    );
    for (const answer of answers) {
      if (answer.status === 409) expectSampleAppProblem(answer, 409, 'idempotency_key_in_use');
      else
        expect({ status: answer.status, json: answer.json }).toEqual({
          status: 200,
          json: { received: true, event_id: id },
        });
    }
    expect(await balanceOf(app, token, 'u1')).toBe(5);
  });

  it('credits two different events twice', async () => {
    const token = newToken();
    await app.request('POST', '/webhooks/events', {
      token,
      body: webhook(`evt_${randomUUID()}`, 'u1', 3),
    });
    await app.request('POST', '/webhooks/events', {
      token,
      body: webhook(`evt_${randomUUID()}`, 'u1', 4),
    });
    expect(await balanceOf(app, token, 'u1')).toBe(7);
  });
});

describe('Validation', () => {
  const long = 'x'.repeat(201);
  it.each<[string, { body?: unknown; rawBody?: string }]>([
    ['a missing name', { body: { email: 'a@example.com' } }],
    ['a name that is not a string', { body: { name: 42 } }],
    ['an empty name', { body: { name: '' } }],
    ['a name of 201 characters', { body: { name: long } }],
    ['an email that is not a string', { body: { name: 'Ada', email: 5 } }],
    ['a JSON array', { body: [{ name: 'Ada' }] }],
    ['malformed JSON', { rawBody: '{"name": "Ada"' }],
  ])(
    'POST /customers with %s: 400 problem+json, stored and replayed byte for byte, nothing created',
    async (_label, request) => {
      const token = newToken();
      const key = newKey();
      const first = await app.request('POST', '/customers', { token, key, ...request });
      expectSampleAppProblem(first, 400);
      const again = await app.request('POST', '/customers', { token, key, ...request });
      expectReplayOf(again, first);
      expect(await customerCount(app, token)).toBe(0);
      // Nothing ran: the tenant's first customer is still cus_1.
      expect(displayNumber((await createCustomer(token)).json)).toBe(1);
    },
  );

  it('POST /customers accepts a name of 200 characters', async () => {
    const response = await app.request('POST', '/customers', {
      token: newToken(),
      body: { name: 'x'.repeat(200) },
    });
    expect(response.status).toBe(201);
  });

  it('POST /customers with a body over the 1 MiB limit, sent at once: 413 problem+json, nothing created', async () => {
    const token = newToken();
    const rawBody = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    const response = await app.request('POST', '/customers', { token, key: newKey(), rawBody });
    expectSampleAppProblem(response, 413);
    expect(await customerCount(app, token)).toBe(0);
  });

  it('POST /customers with a bad body and no key: 400 problem+json each time, no replay', async () => {
    const token = newToken();
    const first = await app.request('POST', '/customers', { token, body: { name: 42 } });
    const second = await app.request('POST', '/customers', { token, body: { name: 42 } });
    expectSampleAppProblem(first, 400);
    expectSampleAppProblem(second, 400);
    expect(isReplay(second)).toBe(false);
  });

  it.each<[string, { body?: unknown; rawBody?: string }]>([
    ['a zero delta', { body: adjust('u1', 0) }],
    ['a fractional delta', { body: adjust('u1', 1.5) }],
    ['a delta given as a string', { body: { user_id: 'u1', delta: '5', reason: 'r' } }],
    ['a missing user_id', { body: { delta: 5, reason: 'r' } }],
    ['a user_id that is not a string', { body: { user_id: 7, delta: 5, reason: 'r' } }],
    ['a missing reason', { body: { user_id: 'u1', delta: 5 } }],
    ['malformed JSON', { rawBody: '{"user_id": "u1", "delta": 5,' }],
  ])(
    'POST /economy/adjust with %s: 400 problem+json, stored and replayed, balance untouched',
    async (_label, request) => {
      const token = newToken();
      const key = newKey();
      const first = await app.request('POST', '/economy/adjust', { token, key, ...request });
      expectSampleAppProblem(first, 400);
      const again = await app.request('POST', '/economy/adjust', { token, key, ...request });
      expectReplayOf(again, first);
      expect(await balanceOf(app, token, 'u1')).toBe(0);
    },
  );

  it.each<[string, { body?: unknown; rawBody?: string }]>([
    ['a missing id', { body: { type: 'balance.credited', data: { user_id: 'u1', amount: 5 } } }],
    [
      'an unknown type',
      { body: { id: 'evt_x', type: 'balance.debited', data: { user_id: 'u1', amount: 5 } } },
    ],
    ['a missing data', { body: { id: 'evt_x', type: 'balance.credited' } }],
    ['a zero amount', { body: webhook('evt_x', 'u1', 0) }],
    ['a negative amount', { body: webhook('evt_x', 'u1', -5) }],
    ['a fractional amount', { body: webhook('evt_x', 'u1', 2.5) }],
    [
      'an amount given as a string',
      { body: { id: 'evt_x', type: 'balance.credited', data: { user_id: 'u1', amount: '5' } } },
    ],
    ['malformed JSON', { rawBody: '{"id": "evt_x", ' }],
  ])(
    'POST /webhooks/events with %s: 400 problem+json, balance untouched',
    async (_label, request) => {
      const token = newToken();
      expectSampleAppProblem(
        await app.request('POST', '/webhooks/events', { token, ...request }),
        400,
      );
      expect(await balanceOf(app, token, 'u1')).toBe(0);
    },
  );
});

describe('Errors', () => {
  it('answers an unknown route with 404 problem+json', async () => {
    expectSampleAppProblem(await app.request('GET', '/no-such-route', { token: newToken() }), 404);
  });
});

describe('Fault injection is off without SAMPLE_FAULTS', () => {
  it.each(['error', 'crash', 'crash-after-write', 'slow:1'])(
    'ignores X-Simulate: %s',
    async (simulate) => {
      const token = newToken();
      const headers = { 'x-simulate': simulate };
      const customer = await app.request('POST', '/customers', {
        token,
        key: newKey(),
        body: { name: 'Ada' },
        headers,
      });
      const adjustment = await app.request('POST', '/economy/adjust', {
        token,
        key: newKey(),
        body: adjust('u1', 2),
        headers,
      });
      expect([customer.status, adjustment.status]).toEqual([201, 201]);
      expect(app.alive).toBe(true);
      expect(await balanceOf(app, token, 'u1')).toBe(2);
    },
  );
});

function adjust(userId: string, delta: unknown, reason = 'test') {
  return { user_id: userId, delta, reason };
}

function webhook(id: string, userId: string, amount: unknown) {
  return { id, type: 'balance.credited', data: { user_id: userId, amount } };
}

/** The error code of a connection attempt, or the status it got. */
async function fetchStatus(url: string): Promise<string> {
  try {
    const response = await fetch(url);
    return String(response.status);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(error);
  }
}
