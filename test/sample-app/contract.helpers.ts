import { randomUUID } from 'node:crypto';
import { IDEMPOTENCY_TABLE } from '../../lib/index.js';
import type { TestDatabase } from '../support/postgres.js';
import type { SampleApp, SampleAppResponse } from '../support/sample-app-process.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const PROBLEM_JSON = /^application\/problem\+json\b/;

/** A fresh tenant: each test works in its own, so tests do not see each other's data. */
export function newToken(label = 'tenant'): string {
  return `${label}-${randomUUID()}`;
}

/** A fresh idempotency key (visible ASCII). */
export function newKey(label = 'key'): string {
  return `${label}-${randomUUID()}`;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function isReplay(response: SampleAppResponse): boolean {
  return response.headers['idempotent-replay'] === 'true';
}

/** A compact description of a response for failure messages. */
export function describeResponse(response: SampleAppResponse): string {
  return `${response.status} ${JSON.stringify(response.headers)} ${response.text}`;
}

/**
 * Asserts an `application/problem+json` error with type/title/status(/detail/code).
 * The idempotency codes also need `detail` and `code` (the contract lists all five fields).
 */
export function expectProblem(response: SampleAppResponse, status: number, code?: string): void {
  expect({ status: response.status, text: response.text }).toEqual({
    status,
    text: expect.any(String),
  });
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  const problem = response.json;
  expect(problem).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status }),
  );
  if (code !== undefined) {
    expect(problem).toEqual(expect.objectContaining({ detail: expect.any(String), code }));
  }
}

/**
 * Asserts that `replay` is the stored `original` given back: same status, body bytes,
 * Content-Type and Location, plus `Idempotent-Replay: true`.
 */
export function expectReplayOf(replay: SampleAppResponse, original: SampleAppResponse): void {
  expect(isReplay(original)).toBe(false);
  expect({
    status: replay.status,
    text: replay.text,
    contentType: replay.headers['content-type'],
    location: replay.headers['location'],
    replay: replay.headers['idempotent-replay'],
  }).toEqual({
    status: original.status,
    text: original.text,
    contentType: original.headers['content-type'],
    location: original.headers['location'],
    replay: 'true',
  });
  expect(replay.body.equals(original.body)).toBe(true);
}

/** `total` of `GET /customers` for the tenant. */
export async function customerCount(app: SampleApp, token: string): Promise<number> {
  const response = await app.request('GET', '/customers', { token });
  if (response.status !== 200) throw new Error(`GET /customers: ${describeResponse(response)}`);
  return response.json.total;
}

/** `balance` of `GET /economy/balances/:user_id` for the tenant. */
export async function balanceOf(app: SampleApp, token: string, userId: string): Promise<number> {
  const response = await app.request('GET', `/economy/balances/${encodeURIComponent(userId)}`, {
    token,
  });
  if (response.status !== 200) throw new Error(`GET balance: ${describeResponse(response)}`);
  return response.json.balance;
}

/** The number in a `cus_<n>` display id. */
export function displayNumber(customer: { display_id: string }): number {
  const match = /^cus_(\d+)$/.exec(customer.display_id);
  if (!match) throw new Error(`not a display_id: ${customer.display_id}`);
  return Number(match[1]);
}

/**
 * Waits until a request with `key` holds an in-flight claim in the app's database: the event
 * that says "the first request is running now", so a second one can be sent during it.
 */
export async function waitForClaim(
  db: TestDatabase,
  key: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await db.query(
      // position(): the app may store a derived key (a webhook's event id with a prefix, say).
      `SELECT 1 FROM ${IDEMPOTENCY_TABLE} WHERE position($1 in key) > 0 AND status = 'in_progress'`,
      [key],
    );
    if (rows.length > 0) return;
    await delay(20);
  }
  throw new Error(`no in-flight claim for key ${key} after ${timeoutMs} ms`);
}

/**
 * Sends `send()` until its answer is not `409 idempotency_key_in_use` (nor a connection error,
 * while a restarted app comes up), waiting `pauseMs` between attempts; returns the last answer.
 */
export async function retryWhileInUse(
  send: () => Promise<SampleAppResponse>,
  { timeoutMs = 30_000, pauseMs = 200 } = {},
): Promise<{ response: SampleAppResponse; inUse: number }> {
  const deadline = Date.now() + timeoutMs;
  let inUse = 0;
  for (;;) {
    const response = await send();
    const busy = response.status === 409 && response.json?.code === 'idempotency_key_in_use';
    if (!busy) return { response, inUse };
    inUse++;
    if (Date.now() > deadline)
      throw new Error(`still in use after ${timeoutMs} ms: ${describeResponse(response)}`);
    await delay(pauseMs);
  }
}
