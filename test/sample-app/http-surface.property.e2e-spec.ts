// Properties of the sample app's HTTP surface, as a black box: keys, headers and bodies from
// fast-check never get a 5xx, and every answer to a keyed request is replayed to its retry.
// Each case has a tenant (token) of its own, so cases never share a key.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { PROPERTY_RUNS, propertyTimeout } from '../support/property-runs.js';
import { closeRawConnections, rawRequest, type RawResponse } from '../support/raw-http.js';
import {
  killAllSampleApps,
  startSampleApp,
  type SampleApp,
} from '../support/sample-app-process.js';
import { anyJsonValue, anyString, numberText, sfString } from '../support/json-arbitraries.js';
import { PROBLEM_JSON } from '../support/problem.js';

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
  maxLength: 128,
});
const anyKeyHeader = fc.oneof(visibleAscii, visibleAscii.map(sfString), headerValue);
/** A field's value: mostly strings of any characters, sometimes another JSON type. */
const anyField = fc.oneof({ weight: 4, arbitrary: anyString }, anyJsonValue);
/** A JSON text for a field: any value, or a number JSON.parse cannot keep. */
const anyFieldText = fc.oneof(
  anyField.map((value) => JSON.stringify(value)),
  numberText,
);
/** A JSON text for an integer field: mostly small integers, so that the other fields count. */
const integerText = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -1000, max: 1000 }).map(String) },
  numberText,
  anyFieldText,
);
/** A JSON text for a string field: mostly strings of any characters. */
const stringText = fc.oneof(
  { weight: 4, arbitrary: anyString.map((text) => JSON.stringify(text)) },
  anyFieldText,
);
const options = { numRuns: PROPERTY_RUNS };
const timeout = propertyTimeout(30);

let db: TestDatabase;
let app: SampleApp;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  app = await startSampleApp({ databaseUrl: db.url });
});

afterAll(async () => {
  closeRawConnections();
  await killAllSampleApps();
  await db?.drop();
});

function post(path: string, body: string | Buffer, headers: Record<string, string>) {
  return rawRequest(app.url, 'POST', path, { headers, body });
}

/** No 5xx; an error is problem+json; a keyed answer (but a refused key) is replayed to its retry. */
async function expectSettled(
  first: RawResponse,
  retry: () => Promise<RawResponse>,
  statuses: number[],
): Promise<void> {
  expect(statuses).toContain(first.status);
  if (first.status >= 400) expect(first.headers['content-type']).toMatch(PROBLEM_JSON);
  const code = first.status >= 400 ? (JSON.parse(first.text) as { code: string }).code : '';
  if (code === 'idempotency_key_invalid' || code === 'idempotency_key_missing') return;
  const second = await retry();
  expect(second.headers['idempotent-replay']).toBe('true');
  expect(second.status).toBe(first.status);
  expect(second.body.equals(first.body)).toBe(true);
}

describe('the sample app under any input (properties)', () => {
  it(
    'POST /customers: any key and any fields are 201 or 400, and replayed',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyKeyHeader, stringText, anyFieldText, async (key, name, email) => {
          const headers = { authorization: `Bearer ${randomUUID()}`, 'idempotency-key': key };
          const body = `{"name":${name},"email":${email}}`;
          const send = () => post('/customers', body, headers);
          await expectSettled(await send(), send, [201, 400]);
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'POST /economy/adjust: any fields are 201, 400 or 422, and replayed',
    async () => {
      await fc.assert(
        fc.asyncProperty(stringText, integerText, stringText, async (user, delta, reason) => {
          const headers = { authorization: `Bearer ${randomUUID()}`, 'idempotency-key': 'k' };
          const body = `{"user_id":${user},"delta":${delta},"reason":${reason}}`;
          const send = () => post('/economy/adjust', body, headers);
          await expectSettled(await send(), send, [201, 400, 422]);
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'POST /webhooks/events: any event is 200 or 400, and a keyed one is replayed',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(visibleAscii, anyString),
          stringText,
          integerText,
          async (id, user, amount) => {
            const headers = { authorization: `Bearer ${randomUUID()}` };
            const body = `{"id":${JSON.stringify(id)},"type":"balance.credited","data":{"user_id":${user},"amount":${amount}}}`;
            const send = () => post('/webhooks/events', body, headers);
            const first = await send();
            expect([200, 400]).toContain(first.status);
            if (/^[\x21-\x7e]{1,128}$/.test(id)) await expectSettled(first, send, [200, 400]);
          },
        ),
        options,
      );
    },
    timeout,
  );

  it(
    'any method, path, headers and body bytes: never a 5xx',
    async () => {
      const segment = fc.oneof(
        fc.constantFrom(
          'customers',
          'economy',
          'adjust',
          'balances',
          'webhooks',
          'events',
          'health',
        ),
        anyString.map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, 'x'))),
        fc.constantFrom('%00', '%', '%ED%A0%80', '%FF', '..', '%2F'),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
          fc.array(segment, { minLength: 1, maxLength: 3 }),
          fc.option(headerValue, { nil: undefined }),
          fc.option(anyKeyHeader, { nil: undefined }),
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
            anyFieldText.map((text) => Buffer.from(text)),
          ),
          async (method, segments, token, key, body) => {
            const headers: Record<string, string> = {};
            if (token !== undefined) headers.authorization = `Bearer ${token}`;
            if (key !== undefined) headers['idempotency-key'] = key;
            const path = `/${segments.join('/')}`;
            const response = await rawRequest(app.url, method, path, { headers, body });
            expect(response.status).toBeLessThan(500);
          },
        ),
        options,
      );
    },
    timeout,
  );
});
