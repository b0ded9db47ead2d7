// Fault injection (SAMPLE_FAULTS=1, header X-Simulate) and "money moves exactly once".
// One app process at a time; the crash tests kill it and start the next one on the same port and
// database, with IDEMPOTENCY_LOCK_TIMEOUT_SECONDS=2 so that a dead claim is taken over quickly.
import { randomUUID } from 'node:crypto';
import { newKey } from '../support/keys.js';
import { expectSampleAppProblem } from '../support/problem.js';
import { expectReplayOf, isReplay } from '../support/replay.js';
import { retryWhileInUse } from '../support/retry-while-in-use.js';
import {
  killAllSampleApps,
  restartSampleApp,
  startSampleApp,
  type SampleApp,
  type SampleAppRequestOptions,
} from '../support/sample-app-process.js';
import { balanceOf, customerCount, displayNumber } from '../support/sample-app-state.js';
import { newToken } from '../support/tenants.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { waitForClaim } from '../support/wait-for-claim.js';

const db = useTestDatabase({ migrate: false, beforeDrop: killAllSampleApps });
/** The app process now serving; the crash tests replace it. */
let app: SampleApp;

beforeAll(async () => {
  app = await startSampleApp({
    databaseUrl: db.url,
    env: { SAMPLE_FAULTS: '1', IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: '2' },
  });
});

/** Makes sure an app is serving (an earlier failed test may have left it dead). */
async function serving(): Promise<SampleApp> {
  if (!app.alive) app = await restartSampleApp(app);
  return app;
}

const customer = { name: 'Ada', email: 'ada@example.com' };
const adjust = (delta: number) => ({ user_id: 'u1', delta, reason: 'test' });
const webhook = (id: string, amount: number) => ({
  id,
  type: 'balance.credited',
  data: { user_id: 'u1', amount },
});

/**
 * Sends a request with `X-Simulate: <simulate>` that must kill the app before it answers,
 * checks that the process died of SIGKILL, starts the next process, and retries the same
 * request (without X-Simulate) until it is no longer 409 in_use.
 */
async function crashAndRetry(path: string, request: SampleAppRequestOptions, simulate: string) {
  const victim = await serving();
  const crashed = victim.request('POST', path, { ...request, headers: { 'x-simulate': simulate } });
  // A connection error, not an answer: the process died with the request open.
  await expect(crashed).rejects.toHaveProperty(
    'code',
    expect.stringMatching(/^(ECONNRESET|EPIPE)$/),
  );
  expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
  app = await restartSampleApp(victim);
  return retryWhileInUse(() => app.request('POST', path, request));
}

describe('X-Simulate: error', () => {
  // On POST /customers: see "A first attempt that ended 5xx" in idempotency.e2e-spec.ts.

  it('answers 500 on POST /economy/adjust before moving money; the retry moves it once', async () => {
    const token = newToken();
    const key = newKey();
    const failed = await app.request('POST', '/economy/adjust', {
      token,
      key,
      body: adjust(12),
      headers: { 'x-simulate': 'error' },
    });
    expect(failed.status).toBe(500);
    expect(await balanceOf(app, token, 'u1')).toBe(0);
    const retry = await app.request('POST', '/economy/adjust', { token, key, body: adjust(12) });
    expect([retry.status, isReplay(retry), retry.json.balance]).toEqual([201, false, 12]);
    expectReplayOf(
      await app.request('POST', '/economy/adjust', { token, key, body: adjust(12) }),
      retry,
    );
    expect(await balanceOf(app, token, 'u1')).toBe(12);
  });

  it('answers 500 on POST /webhooks/events before crediting; the redelivery credits once', async () => {
    const token = newToken();
    const event = webhook(`evt_${randomUUID()}`, 6);
    const failed = await app.request('POST', '/webhooks/events', {
      token,
      body: event,
      headers: { 'x-simulate': 'error' },
    });
    expect(failed.status).toBe(500);
    expect(await balanceOf(app, token, 'u1')).toBe(0);
    expect((await app.request('POST', '/webhooks/events', { token, body: event })).status).toBe(
      200,
    );
    expect((await app.request('POST', '/webhooks/events', { token, body: event })).status).toBe(
      200,
    );
    expect(await balanceOf(app, token, 'u1')).toBe(6);
  });
});

describe('X-Simulate: slow:<ms>', () => {
  it('waits before doing its work: nothing is written while it waits, then it answers 201', async () => {
    const token = newToken();
    const key = newKey();
    const slow = app.request('POST', '/customers', {
      token,
      key,
      body: customer,
      headers: { 'x-simulate': 'slow:1500' },
    });
    await waitForClaim(db, key);
    expect(await customerCount(app, token)).toBe(0);
    const done = await slow;
    expect([done.status, isReplay(done)]).toEqual([201, false]);
    expect(await customerCount(app, token)).toBe(1);
  });

  it('waits before moving money on POST /economy/adjust, then moves it once', async () => {
    const token = newToken();
    const key = newKey();
    const slow = app.request('POST', '/economy/adjust', {
      token,
      key,
      body: adjust(4),
      headers: { 'x-simulate': 'slow:1500' },
    });
    await waitForClaim(db, key);
    expect(await balanceOf(app, token, 'u1')).toBe(0);
    expect((await slow).status).toBe(201);
    expect(await balanceOf(app, token, 'u1')).toBe(4);
  });
});

describe('X-Simulate: crash', () => {
  it('kills the process before any response; after the lock timeout the retry runs as new: one customer', async () => {
    await serving();
    const token = newToken();
    const key = newKey();
    const { response } = await crashAndRetry('/customers', { token, key, body: customer }, 'crash');
    expect([response.status, isReplay(response)]).toEqual([201, false]);
    expect(displayNumber(response.json)).toBe(1);
    expectReplayOf(
      await app.request('POST', '/customers', { token, key, body: customer }),
      response,
    );
    expect(await customerCount(app, token)).toBe(1);
  });

  it('on POST /economy/adjust: the retry runs as new and the balance changes once', async () => {
    await serving();
    const token = newToken();
    const key = newKey();
    const { response } = await crashAndRetry(
      '/economy/adjust',
      { token, key, body: adjust(20) },
      'crash',
    );
    expect([response.status, isReplay(response), response.json.balance]).toEqual([201, false, 20]);
    expect(await balanceOf(app, token, 'u1')).toBe(20);
  });
});

describe('X-Simulate: crash-after-write', () => {
  it('on POST /economy/adjust: after restart and retries, the balance changed exactly once', async () => {
    await serving();
    const token = newToken();
    const key = newKey();
    const { response } = await crashAndRetry(
      '/economy/adjust',
      { token, key, body: adjust(30) },
      'crash-after-write',
    );
    expect(response.status).toBe(201);
    expect(response.json).toEqual(
      expect.objectContaining({ user_id: 'u1', delta: 30, balance: 30 }),
    );
    expect(await balanceOf(app, token, 'u1')).toBe(30);
    const again = await app.request('POST', '/economy/adjust', { token, key, body: adjust(30) });
    expect([again.status, isReplay(again), again.text]).toEqual([201, true, response.text]);
    expect(await balanceOf(app, token, 'u1')).toBe(30);
  });

  it('on POST /webhooks/events: after restart and redeliveries, the credit was applied exactly once', async () => {
    await serving();
    const token = newToken();
    const event = webhook(`evt_${randomUUID()}`, 11);
    const { response } = await crashAndRetry(
      '/webhooks/events',
      { token, body: event },
      'crash-after-write',
    );
    expect({ status: response.status, json: response.json }).toEqual({
      status: 200,
      json: { received: true, event_id: event.id },
    });
    expect((await app.request('POST', '/webhooks/events', { token, body: event })).status).toBe(
      200,
    );
    expect(await balanceOf(app, token, 'u1')).toBe(11);
  });
});

describe('X-Simulate: crash-before-response', () => {
  it('on POST /economy/adjust: the retry replays the committed 201 and the balance changed once', async () => {
    await serving();
    const token = newToken();
    const key = newKey();
    const { response } = await crashAndRetry(
      '/economy/adjust',
      { token, key, body: adjust(40) },
      'crash-before-response',
    );
    expect([response.status, isReplay(response)]).toEqual([201, true]);
    expect(response.json).toEqual(
      expect.objectContaining({ user_id: 'u1', delta: 40, balance: 40 }),
    );
    expect(await balanceOf(app, token, 'u1')).toBe(40);
  });
});

describe('After the crashes', () => {
  it('leaves a restarted process that replays and rejects reused keys as before', async () => {
    const current = await serving();
    const token = newToken();
    const key = newKey();
    const first = await current.request('POST', '/customers', { token, key, body: customer });
    expect(first.status).toBe(201);
    expectReplayOf(
      await current.request('POST', '/customers', { token, key, body: customer }),
      first,
    );
    expectSampleAppProblem(
      await current.request('POST', '/customers', { token, key, body: { name: 'Other' } }),
      409,
      'idempotency_key_reused',
    );
  });
});
