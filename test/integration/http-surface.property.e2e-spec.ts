// Properties of the library's HTTP surface, over real HTTP on real PostgreSQL: keys, headers and
// bodies from fast-check. Each case has a tenant of its own, so cases never share a key.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { PROPERTY_RUNS, propertyTimeout } from '../support/property-runs.js';
import { closeRawConnections, rawRequest, type RawResponse } from '../support/raw-http.js';
import {
  anyJsonValue,
  anyString,
  numberText,
  reformattedJson,
  sfString,
} from '../support/json-arbitraries.js';
import { hostileModule } from '../fixtures/hostile/hostile.module.js';

/** Characters Node's HTTP parser lets through in a header value. */
const headerValue = fc.string({
  unit: fc
    .oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
      { weight: 1, arbitrary: fc.constantFrom(0x09, 0x20) },
      { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
    )
    .map((code) => String.fromCharCode(code)),
  maxLength: 140,
});
const visibleAscii = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
  minLength: 1,
  maxLength: 120,
});
/** Valid keys, their SF forms, and anything else a header value may be. */
const anyKeyHeader = fc.oneof(visibleAscii, visibleAscii.map(sfString), headerValue);
const options = { numRuns: PROPERTY_RUNS };
const timeout = propertyTimeout(20);

describe('the HTTP surface (properties)', () => {
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(hostileModule(db.url));
  });
  afterAll(async () => {
    closeRawConnections();
    await app?.close();
    await db?.drop();
  });

  function post(path: string, body: string, headers: Record<string, string> = {}) {
    return rawRequest(app.url, 'POST', path, { headers, body });
  }
  const expectNo5xx = (response: RawResponse) => expect(response.status).toBeLessThan(500);
  const expectReplayOf = (retry: RawResponse, first: RawResponse) => {
    expect(retry.headers['idempotent-replay']).toBe('true');
    expect(retry.status).toBe(first.status);
    expect(retry.body.equals(first.body)).toBe(true);
  };

  it(
    'answers any key header without a 5xx; a key accepted once replays, with the headers stored, "k" as k',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyKeyHeader, headerValue, async (key, echo) => {
          const body = JSON.stringify({ tenant: randomUUID() });
          const send = (sentKey: string) =>
            post('/hostile/echo', body, { 'idempotency-key': sentKey, 'x-echo': echo });
          const first = await send(key);
          expectNo5xx(first);
          if (first.status !== 201) return;
          const bare = key.trim();
          const retry = await send(bare.startsWith('"') ? key : sfString(bare));
          expectReplayOf(retry, first);
          expect(retry.headers['location']).toBe(first.headers['location']);
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'replays a body equal by meaning, and refuses one that differs (409 idempotency_key_reused)',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyJsonValue, anyJsonValue, fc.integer(), async (value, other, seed) => {
          const tenant = randomUUID();
          const headers = { 'idempotency-key': 'k' };
          const first = await post('/hostile', JSON.stringify({ tenant, value }), headers);
          expect(first.status).toBe(201);
          const same = reformattedJson({ value, tenant }, seed);
          expectReplayOf(await post('/hostile', same, headers), first);
          const parse = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
          if (isDeepStrictEqual(parse(value), parse(other))) return;
          const different = await post(
            '/hostile',
            JSON.stringify({ tenant, value: other }),
            headers,
          );
          expect(different.status).toBe(409);
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'tells numbers apart by the value they parse to (1e400, -0, 2^53 + 1...)',
    async () => {
      await fc.assert(
        fc.asyncProperty(numberText, numberText, async (a, b) => {
          const tenant = randomUUID();
          const headers = { 'idempotency-key': 'n' };
          const first = await post('/hostile', `{"tenant":"${tenant}","n":${a}}`, headers);
          expect(first.status).toBe(201);
          const second = await post('/hostile', `{"n":${b},"tenant":"${tenant}"}`, headers);
          expect(second.status).toBe(Object.is(JSON.parse(a), JSON.parse(b)) ? 201 : 409);
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'scopes keys by tenants of any text, U+0000 and lone surrogates included',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyString, fc.string({ unit: 'binary', maxLength: 400 }), async (a, b) => {
          const key = { 'idempotency-key': `t-${randomUUID()}` };
          const first = await post('/hostile', JSON.stringify({ tenant: a }), key);
          expect(first.status).toBe(201);
          const other = await post('/hostile', JSON.stringify({ tenant: b }), key);
          expectNo5xx(other);
          expect(other.headers['idempotent-replay']).toBe(a === b ? 'true' : undefined);
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'takes a key from @Idempotent({ key }) literally: X and "X" are two keys',
    async () => {
      await fc.assert(
        fc.asyncProperty(visibleAscii, async (id) => {
          const tenant = randomUUID();
          const deliver = (eventId: string) =>
            post('/hostile/events', JSON.stringify({ tenant, id: eventId }));
          const first = await deliver(id);
          expect(first.status).toBe(200);
          const quoted = await deliver(`"${id}"`);
          expectNo5xx(quoted);
          expect(quoted.headers['idempotent-replay']).toBeUndefined();
        }),
        options,
      );
    },
    timeout,
  );
});
