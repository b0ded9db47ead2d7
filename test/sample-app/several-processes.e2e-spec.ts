// "Several app processes on one database behave as one": two child processes, one database.
import { newKey } from '../support/keys.js';
import { expectSampleAppProblem } from '../support/problem.js';
import { expectReplayOf, isReplay } from '../support/replay.js';
import { retryWhileInUse } from '../support/retry-while-in-use.js';
import {
  killAllSampleApps,
  startSampleApp,
  type SampleApp,
  type SampleAppResponse,
} from '../support/sample-app-process.js';
import { balanceOf, customerCount } from '../support/sample-app-state.js';
import { newToken } from '../support/tenants.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { waitForClaim } from '../support/wait-for-claim.js';

const db = useTestDatabase({ migrate: false, beforeDrop: killAllSampleApps });
let apps: SampleApp[];

beforeAll(async () => {
  // One at a time: both run the migrations at start-up; the second finds them done.
  const first = await startSampleApp({ databaseUrl: db.url, env: { SAMPLE_FAULTS: '1' } });
  const second = await startSampleApp({ databaseUrl: db.url, env: { SAMPLE_FAULTS: '1' } });
  apps = [first, second];
});

const customer = { name: 'Ada', email: 'ada@example.com' };

/** Checks 20 concurrent answers and retries the in_use ones until they replay; returns all final answers. */
async function settle(
  answers: SampleAppResponse[],
  resend: (i: number) => Promise<SampleAppResponse>,
) {
  for (const answer of answers) {
    if (answer.status === 409) expectSampleAppProblem(answer, 409, 'idempotency_key_in_use');
    else expect(answer.status).toBe(201);
  }
  const successes = answers.filter((answer) => answer.status === 201);
  expect(successes.filter((answer) => !isReplay(answer))).toHaveLength(1);
  expect(new Set(successes.map((answer) => answer.text)).size).toBe(1);
  const final = await Promise.all(
    answers.map(async (answer, i) =>
      answer.status === 201 ? answer : (await retryWhileInUse(() => resend(i))).response,
    ),
  );
  const original = final.find((answer) => !isReplay(answer))!;
  for (const answer of final) if (answer !== original) expectReplayOf(answer, original);
  return final;
}

describe('Several app processes on one database', () => {
  it('starts a second process on a database the first one already migrated', () => {
    expect(apps.map((app) => app.alive)).toEqual([true, true]);
  });

  it('replays through one process what was answered through the other', async () => {
    const [a, b] = apps;
    const token = newToken();
    const key = newKey();
    const first = await a.request('POST', '/customers', { token, key, body: customer });
    expect(first.status).toBe(201);
    expectReplayOf(await b.request('POST', '/customers', { token, key, body: customer }), first);
    expectSampleAppProblem(
      await b.request('POST', '/customers', { token, key, body: { name: 'Other' } }),
      409,
      'idempotency_key_reused',
    );
    expect(await customerCount(b, token)).toBe(1);
  });

  it('answers 409 idempotency_key_in_use through one process while the other runs the key', async () => {
    const [a, b] = apps;
    const token = newToken();
    const key = newKey();
    const slow = a.request('POST', '/customers', {
      token,
      key,
      body: customer,
      headers: { 'x-simulate': 'slow:2500' },
    });
    await waitForClaim(db, key);
    expectSampleAppProblem(
      await b.request('POST', '/customers', { token, key, body: customer }),
      409,
      'idempotency_key_in_use',
    );
    expect((await slow).status).toBe(201);
    expect(await customerCount(a, token)).toBe(1);
  });

  it('creates exactly one customer for 20 concurrent POST /customers with one key spread over both', async () => {
    const token = newToken();
    const key = newKey();
    const send = (i: number) =>
      apps[i % 2].request('POST', '/customers', { token, key, body: customer });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
    const final = await settle(answers, send);
    expect(final.every((answer) => answer.status === 201)).toBe(true);
    expect(await customerCount(apps[0], token)).toBe(1);
    expect(await customerCount(apps[1], token)).toBe(1);
    const list = (await apps[1].request('GET', '/customers', { token })).json;
    expect(list.data[0].id).toBe(final[0].json.id);
  });

  it('moves money once for 20 concurrent POST /economy/adjust with one key spread over both', async () => {
    const token = newToken();
    const key = newKey();
    const send = (i: number) =>
      apps[i % 2].request('POST', '/economy/adjust', {
        token,
        key,
        body: { user_id: 'u1', delta: 15, reason: 'r' },
      });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
    const final = await settle(answers, send);
    expect(final.map((answer) => answer.json.balance)).toEqual(Array(20).fill(15));
    expect(await balanceOf(apps[0], token, 'u1')).toBe(15);
  });

  it('credits once for 20 concurrent deliveries of one webhook event spread over both', async () => {
    const token = newToken();
    const event = {
      id: `evt_${newKey()}`,
      type: 'balance.credited',
      data: { user_id: 'u1', amount: 8 },
    };
    const send = (i: number) =>
      apps[i % 2].request('POST', '/webhooks/events', { token, body: event });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
    const final = await Promise.all(
      answers.map(async (answer, i) =>
        answer.status === 409 ? (await retryWhileInUse(() => send(i))).response : answer,
      ),
    );
    for (const answer of final) {
      expect({ status: answer.status, json: answer.json }).toEqual({
        status: 200,
        json: { received: true, event_id: event.id },
      });
    }
    expect(await balanceOf(apps[1], token, 'u1')).toBe(8);
  });

  it('keeps both processes alive through all of it', () => {
    for (const app of apps)
      expect({ alive: app.alive, output: app.alive ? '' : app.output() }).toEqual({
        alive: true,
        output: '',
      });
  });
});
