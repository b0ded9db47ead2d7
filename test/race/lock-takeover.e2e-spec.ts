import { calls } from '../support/calls.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { useTestApps } from '../support/use-test-apps.js';
import { raceModule } from '../fixtures/race/race.module.js';

// lockTimeout is 1 s, and the first owner's heartbeat never reaches the database (a frozen
// process). The test does not sleep: PostgreSQL itself waits until the row's locked_until has
// passed (pg_sleep for exactly the remaining time), on its own clock.
describe('a claim not renewed for lockTimeout', () => {
  const { db, apps } = useTestApps(({ url }) =>
    raceModule(url, 'solo', { lockTimeout: 1 }, { frozenHeartbeat: true }),
  );
  const [app] = apps;

  function post(key: string, gate?: string) {
    const test = app.http().post('/race').set('Idempotency-Key', key);
    return (gate ? test.set('X-Gate', gate) : test).send({ amount: 10 }).then((r) => r);
  }

  async function waitForLockExpiry(key: string): Promise<void> {
    await db.query(
      'SELECT pg_sleep(greatest(0, extract(epoch FROM locked_until - clock_timestamp()))::float8 + 0.01) FROM idempotency_keys WHERE key = $1',
      [key],
    );
    const { rows } = await db.query(
      'SELECT locked_until < now() AS expired FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(rows[0].expired).toBe(true);
  }

  async function storedBody(key: string): Promise<string | null> {
    const { rows } = await db.query(
      'SELECT status, response_body FROM idempotency_keys WHERE key = $1',
      [key],
    );
    return rows[0].status === 'completed'
      ? (rows[0].response_body as Buffer).toString('utf8')
      : null;
  }

  it('is taken over by the next request; the late first completion is rejected; retries replay the second', async () => {
    const key = newKey();
    const held = gates.create('takeover-first');
    const first = post(key, 'takeover-first');
    await held.entered;

    await waitForLockExpiry(key);
    const second = await post(key);
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replay']).toBeUndefined();
    expect(second.body.n).toBe(2);
    expect(calls.of('race')).toBe(2);
    expect(await storedBody(key)).toBe(second.text);

    held.release();
    const late = await first;
    expect(late.status).toBe(201);
    expect(late.body.n).toBe(1);
    // Its completion found another owner: the stored response is still the second's.
    expect(await storedBody(key)).toBe(second.text);

    const third = await post(key);
    expect(third.headers['idempotent-replay']).toBe('true');
    expect(third.text).toBe(second.text);
    expect(calls.of('race')).toBe(2);
  });

  it("keeps the new owner in flight when the old one finishes first, then stores the new owner's answer", async () => {
    const key = newKey();
    const firstGate = gates.create('order-first');
    const first = post(key, 'order-first');
    await firstGate.entered;
    await waitForLockExpiry(key);

    const secondGate = gates.create('order-second');
    const second = post(key, 'order-second');
    await secondGate.entered;
    expect(calls.of('race')).toBe(2);

    firstGate.release();
    const late = await first;
    expect(late.body.n).toBe(1);
    const { rows } = await db.query('SELECT status FROM idempotency_keys WHERE key = $1', [key]);
    expect(rows).toEqual([{ status: 'in_progress' }]);

    secondGate.release();
    const owner = await second;
    expect(owner.body.n).toBe(2);
    expect(await storedBody(key)).toBe(owner.text);
    const third = await post(key);
    expect(third.text).toBe(owner.text);
    expect(third.headers['idempotent-replay']).toBe('true');
    expect(calls.of('race')).toBe(2);
  });
});
