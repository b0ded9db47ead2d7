// Every bullet of "Idempotency behaviour" in the contract, driven over HTTP against the app in a
// child process. One app (SAMPLE_FAULTS=1, for `error` and `slow`) serves the file; the TTL test
// gets its own app started with IDEMPOTENCY_TTL_SECONDS=1. Every test has its own tenant.
import { delay } from '../support/delay.js';
import { newKey } from '../support/keys.js';
import { expectSampleAppProblem } from '../support/problem.js';
import { expectReplayOf, isReplay } from '../support/replay.js';
import {
  killAllSampleApps,
  startSampleApp,
  type SampleApp,
} from '../support/sample-app-process.js';
import { balanceOf, customerCount, displayNumber } from '../support/sample-app-state.js';
import { newToken } from '../support/tenants.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { waitForClaim } from '../support/wait-for-claim.js';

const db = useTestDatabase({ migrate: false, beforeDrop: killAllSampleApps });
let app: SampleApp;

beforeAll(async () => {
  app = await startSampleApp({ databaseUrl: db.url, env: { SAMPLE_FAULTS: '1' } });
});

const customer = { name: 'Ada', email: 'ada@example.com' };
const adjust = (delta: number) => ({ user_id: 'u1', delta, reason: 'test' });

describe('Idempotency-Key syntax', () => {
  it.each([
    ['one character', '1'],
    ['128 characters', 'k'.repeat(128)],
    ['every visible ASCII character', "!#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~"],
  ])('accepts a key of %s and replays it', async (_label, key) => {
    const token = newToken();
    const first = await app.request('POST', '/customers', { token, key, body: customer });
    expect(first.status).toBe(201);
    expectReplayOf(await app.request('POST', '/customers', { token, key, body: customer }), first);
    expect(await customerCount(app, token)).toBe(1);
  });

  it('takes the Structured Field string "abc" as the same key as abc', async () => {
    const token = newToken();
    const first = await app.request('POST', '/customers', { token, key: 'abc', body: customer });
    expect(first.status).toBe(201);
    expectReplayOf(
      await app.request('POST', '/customers', { token, key: '"abc"', body: customer }),
      first,
    );
    expect(await customerCount(app, token)).toBe(1);
  });

  it('takes abc as the same key as a first "abc"', async () => {
    const token = newToken();
    const first = await app.request('POST', '/economy/adjust', {
      token,
      key: '"abc"',
      body: adjust(4),
    });
    expect(first.status).toBe(201);
    expectReplayOf(
      await app.request('POST', '/economy/adjust', { token, key: 'abc', body: adjust(4) }),
      first,
    );
    expect(await balanceOf(app, token, 'u1')).toBe(4);
  });

  // Header values are latin1 strings on the wire: 'cl\u00c3\u00a9' sends the UTF-8 bytes of "clé".
  const malformed: Array<[string, string]> = [
    ['empty', ''],
    ['129 characters', 'k'.repeat(129)],
    ['a tab (a control character)', 'a\tb'],
    ['a space (outside 0x21-0x7E)', 'a b'],
    ['non-ASCII characters (UTF-8 "clé")', 'cl\u00c3\u00a9'],
    ['a Latin-1 character', 'caf\u00e9'],
    ['an empty Structured Field string', '""'],
  ];

  it.each(malformed)(
    'answers a key that is %s with 400 idempotency_key_invalid on POST /customers; nothing runs',
    async (_label, key) => {
      const token = newToken();
      const response = await app.request('POST', '/customers', { token, key, body: customer });
      expectSampleAppProblem(response, 400, 'idempotency_key_invalid');
      expect(isReplay(response)).toBe(false);
      expect(await customerCount(app, token)).toBe(0);
      expect(
        displayNumber((await app.request('POST', '/customers', { token, body: customer })).json),
      ).toBe(1);
    },
  );

  it.each(malformed)(
    'answers a key that is %s with 400 idempotency_key_invalid on POST /economy/adjust; nothing runs',
    async (_label, key) => {
      const token = newToken();
      expectSampleAppProblem(
        await app.request('POST', '/economy/adjust', { token, key, body: adjust(5) }),
        400,
        'idempotency_key_invalid',
      );
      expect(await balanceOf(app, token, 'u1')).toBe(0);
    },
  );
});

describe('Without a key', () => {
  it('runs an optional route every time', async () => {
    const token = newToken();
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await app.request('POST', '/customers', { token, body: customer }));
    expect(answers.map((answer) => [answer.status, isReplay(answer)])).toEqual([
      [201, false],
      [201, false],
      [201, false],
    ]);
    expect(answers.map((answer) => displayNumber(answer.json))).toEqual([1, 2, 3]);
  });

  it('answers a required route with 400 idempotency_key_missing, and nothing runs', async () => {
    const token = newToken();
    expectSampleAppProblem(
      await app.request('POST', '/economy/adjust', { token, body: adjust(5) }),
      400,
      'idempotency_key_missing',
    );
    expect(await balanceOf(app, token, 'u1')).toBe(0);
  });
});

describe('Fingerprint', () => {
  it('ignores JSON key order and white space in the body', async () => {
    const token = newToken();
    const key = newKey();
    const first = await app.request('POST', '/customers', {
      token,
      key,
      rawBody: '{"name":"Ada","email":"ada@example.com"}',
    });
    expect(first.status).toBe(201);
    const reordered = await app.request('POST', '/customers', {
      token,
      key,
      rawBody: '{\n  "email" : "ada@example.com",\n\t"name": "Ada"\n}\n',
    });
    expectReplayOf(reordered, first);
    expect(await customerCount(app, token)).toBe(1);
  });

  it('counts the query string: same key and body on another query string is 409 idempotency_key_reused', async () => {
    const token = newToken();
    const key = newKey();
    const first = await app.request('POST', '/customers?source=a', { token, key, body: customer });
    expect(first.status).toBe(201);
    expectSampleAppProblem(
      await app.request('POST', '/customers?source=b', { token, key, body: customer }),
      409,
      'idempotency_key_reused',
    );
    expectSampleAppProblem(
      await app.request('POST', '/customers', { token, key, body: customer }),
      409,
      'idempotency_key_reused',
    );
    expectReplayOf(
      await app.request('POST', '/customers?source=a', { token, key, body: customer }),
      first,
    );
    expect(await customerCount(app, token)).toBe(1);
  });

  it('answers the same key with another body with 409 idempotency_key_reused, and nothing runs', async () => {
    const token = newToken();
    const key = newKey();
    expect((await app.request('POST', '/customers', { token, key, body: customer })).status).toBe(
      201,
    );
    const reused = await app.request('POST', '/customers', {
      token,
      key,
      body: { ...customer, name: 'Grace' },
    });
    expectSampleAppProblem(reused, 409, 'idempotency_key_reused');
    expect(isReplay(reused)).toBe(false);
    expect(await customerCount(app, token)).toBe(1);
    expect(
      displayNumber((await app.request('POST', '/customers', { token, body: customer })).json),
    ).toBe(2);
  });

  it('moves no money for the same key with another delta (409 idempotency_key_reused)', async () => {
    const token = newToken();
    const key = newKey();
    expect(
      (await app.request('POST', '/economy/adjust', { token, key, body: adjust(10) })).status,
    ).toBe(201);
    expectSampleAppProblem(
      await app.request('POST', '/economy/adjust', { token, key, body: adjust(11) }),
      409,
      'idempotency_key_reused',
    );
    expect(await balanceOf(app, token, 'u1')).toBe(10);
  });
});

describe('First request and replay', () => {
  it('answers the first request as usual, without Idempotent-Replay', async () => {
    const response = await app.request('POST', '/customers', {
      token: newToken(),
      key: newKey(),
      body: customer,
    });
    expect(response.status).toBe(201);
    expect(response.headers).not.toHaveProperty('idempotent-replay');
  });

  it('replays a 201 with the same status, body bytes, Content-Type and Location, plus Idempotent-Replay: true', async () => {
    const token = newToken();
    const key = newKey();
    const first = await app.request('POST', '/customers', { token, key, body: customer });
    expect(first.status).toBe(201);
    expect(first.headers['location']).toBe(`/customers/${first.json.id}`);
    for (let i = 0; i < 2; i++)
      expectReplayOf(
        await app.request('POST', '/customers', { token, key, body: customer }),
        first,
      );
    expect(await customerCount(app, token)).toBe(1);
  });

  it('replays an adjustment without moving money again', async () => {
    const token = newToken();
    const key = newKey();
    const first = await app.request('POST', '/economy/adjust', { token, key, body: adjust(25) });
    expect(first.status).toBe(201);
    expectReplayOf(
      await app.request('POST', '/economy/adjust', { token, key, body: adjust(25) }),
      first,
    );
    expect(await balanceOf(app, token, 'u1')).toBe(25);
  });

  // A stored 4xx replayed: every case of "Validation" in routes.e2e-spec.ts.
});

describe('A first attempt that ended 5xx', () => {
  it('is not stored: X-Simulate: error answers 500 problem+json, and a retry with the same key runs the handler', async () => {
    const token = newToken();
    const key = newKey();
    const failed = await app.request('POST', '/customers', {
      token,
      key,
      body: customer,
      headers: { 'x-simulate': 'error' },
    });
    expect(failed.status).toBe(500);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json\b/);
    expect(await customerCount(app, token)).toBe(0);
    const retry = await app.request('POST', '/customers', { token, key, body: customer });
    expect(retry.status).toBe(201);
    expect(isReplay(retry)).toBe(false);
    expect(displayNumber(retry.json)).toBe(1);
    expectReplayOf(await app.request('POST', '/customers', { token, key, body: customer }), retry);
    expect(await customerCount(app, token)).toBe(1);
  });
});

describe('Same key while the first is still running', () => {
  it('answers 409 idempotency_key_in_use with Retry-After (seconds), and nothing runs', async () => {
    const token = newToken();
    const key = newKey();
    const slow = app.request('POST', '/customers', {
      token,
      key,
      body: customer,
      headers: { 'x-simulate': 'slow:2500' },
    });
    await waitForClaim(db, key);
    const during = await app.request('POST', '/customers', { token, key, body: customer });
    expectSampleAppProblem(during, 409, 'idempotency_key_in_use');
    expect(during.headers['retry-after']).toMatch(/^\d+$/);
    const first = await slow;
    expect(first.status).toBe(201);
    expect(isReplay(first)).toBe(false);
    expectReplayOf(await app.request('POST', '/customers', { token, key, body: customer }), first);
    expect(await customerCount(app, token)).toBe(1);
    expect(displayNumber(first.json)).toBe(1);
  });

  it('moves money once when the same adjustment is sent while the first is running', async () => {
    const token = newToken();
    const key = newKey();
    const slow = app.request('POST', '/economy/adjust', {
      token,
      key,
      body: adjust(9),
      headers: { 'x-simulate': 'slow:2500' },
    });
    await waitForClaim(db, key);
    expectSampleAppProblem(
      await app.request('POST', '/economy/adjust', { token, key, body: adjust(9) }),
      409,
      'idempotency_key_in_use',
    );
    expect((await slow).status).toBe(201);
    expect(await balanceOf(app, token, 'u1')).toBe(9);
  });
});

describe('A webhook delivery overlapping one of the same event in flight', () => {
  it('gets 409 idempotency_key_in_use or the same 200, and the credit is applied once', async () => {
    const token = newToken();
    const id = `evt_${newKey()}`;
    const event = { id, type: 'balance.credited', data: { user_id: 'u1', amount: 13 } };
    const slow = app.request('POST', '/webhooks/events', {
      token,
      body: event,
      headers: { 'x-simulate': 'slow:1500' },
    });
    await waitForClaim(db, id);
    const overlapping = await app.request('POST', '/webhooks/events', { token, body: event });
    if (overlapping.status === 409)
      expectSampleAppProblem(overlapping, 409, 'idempotency_key_in_use');
    else
      expect({ status: overlapping.status, json: overlapping.json }).toEqual({
        status: 200,
        json: { received: true, event_id: id },
      });
    expect((await slow).status).toBe(200);
    expect(await balanceOf(app, token, 'u1')).toBe(13);
  });
});

describe('After the TTL', () => {
  let shortTtl: SampleApp;
  beforeAll(async () => {
    shortTtl = await startSampleApp({ databaseUrl: db.url, env: { IDEMPOTENCY_TTL_SECONDS: '1' } });
  });
  afterAll(() => shortTtl?.stop());

  it('forgets the key: the same key runs the handler again as a new operation', async () => {
    const token = newToken();
    const key = newKey();
    const first = await shortTtl.request('POST', '/customers', { token, key, body: customer });
    expect(first.status).toBe(201);
    // Waiting on the contract's own clock: IDEMPOTENCY_TTL_SECONDS=1.
    await delay(2200);
    const again = await shortTtl.request('POST', '/customers', { token, key, body: customer });
    expect(again.status).toBe(201);
    expect(isReplay(again)).toBe(false);
    expect(again.json.id).not.toBe(first.json.id);
    expect(await customerCount(shortTtl, token)).toBe(2);
  });

  it('moves money again for a forgotten key (a new operation, not a replay)', async () => {
    const token = newToken();
    const key = newKey();
    expect(
      (await shortTtl.request('POST', '/economy/adjust', { token, key, body: adjust(3) })).status,
    ).toBe(201);
    await delay(2200);
    const again = await shortTtl.request('POST', '/economy/adjust', {
      token,
      key,
      body: adjust(3),
    });
    expect([again.status, isReplay(again)]).toEqual([201, false]);
    expect(await balanceOf(shortTtl, token, 'u1')).toBe(6);
  });
});

describe('GET, HEAD and OPTIONS ignore the header', () => {
  it.each(['GET', 'HEAD', 'OPTIONS'])(
    '%s /customers with a malformed key is not an idempotency error',
    async (method) => {
      const response = await app.request(method, '/customers', { token: newToken(), key: '' });
      expect(response.status).not.toBe(400);
      expect(String(response.json?.code ?? '')).not.toMatch(/^idempotency_/);
      expect(response.headers).not.toHaveProperty('idempotent-replay');
    },
  );

  it('GET with a key is never replayed: it sees the current state', async () => {
    const token = newToken();
    const key = newKey();
    const before = await app.request('GET', '/customers', { token, key });
    expect(before.json.total).toBe(0);
    await app.request('POST', '/customers', { token, body: customer });
    const after = await app.request('GET', '/customers', { token, key });
    expect(after.status).toBe(200);
    expect(after.json.total).toBe(1);
    expect(after.headers).not.toHaveProperty('idempotent-replay');
  });

  it('GET /economy/balances with a key sees the current balance', async () => {
    const token = newToken();
    const key = newKey();
    expect((await app.request('GET', '/economy/balances/u1', { token, key })).json.balance).toBe(0);
    await app.request('POST', '/economy/adjust', { token, key: newKey(), body: adjust(2) });
    expect((await app.request('GET', '/economy/balances/u1', { token, key })).json.balance).toBe(2);
  });
});

describe('Errors are problem+json', () => {
  it.each([
    ['idempotency_key_missing', 400],
    ['idempotency_key_invalid', 400],
    ['idempotency_key_reused', 409],
  ])('%s has type, title, status, detail and code', async (code, status) => {
    const token = newToken();
    const key = newKey();
    let response;
    if (code === 'idempotency_key_missing') {
      response = await app.request('POST', '/economy/adjust', { token, body: adjust(1) });
    } else if (code === 'idempotency_key_invalid') {
      response = await app.request('POST', '/economy/adjust', {
        token,
        key: 'a b',
        body: adjust(1),
      });
    } else {
      await app.request('POST', '/economy/adjust', { token, key, body: adjust(1) });
      response = await app.request('POST', '/economy/adjust', { token, key, body: adjust(2) });
    }
    expectSampleAppProblem(response, status, code);
    expect(Object.keys(response.json).sort()).toEqual(
      expect.arrayContaining(['code', 'detail', 'status', 'title', 'type']),
    );
  });
});

describe('X-Simulate is not part of the fingerprint', () => {
  it('replays a completed key whatever X-Simulate says, without running the handler', async () => {
    const token = newToken();
    const key = newKey();
    const first = await app.request('POST', '/customers', { token, key, body: customer });
    expect(first.status).toBe(201);
    const withError = await app.request('POST', '/customers', {
      token,
      key,
      body: customer,
      headers: { 'x-simulate': 'error' },
    });
    expectReplayOf(withError, first);
    expect(await customerCount(app, token)).toBe(1);
  });
});
