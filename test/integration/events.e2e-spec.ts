import '../support/cjs-interop.js';
import type { ClsService } from 'nestjs-cls';
import { IdempotencyService } from '../../lib/index.js';
import { calls } from '../support/calls.js';
import { EventLog, keyHashOf } from '../support/event-log.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { useTestApps } from '../support/use-test-apps.js';
import { raceModule } from '../fixtures/race/race.module.js';

// nestjs-cls is loaded only after cjs-interop has run (see there).
const { ClsService: ClsServiceClass } = await import('nestjs-cls');
const { CREATE_LEDGER_SQL } = await import('../fixtures/ledger/ledger.service.js');
const { ledgerModule } = await import('../fixtures/ledger/ledger.module.js');

// The events that only PostgreSQL can produce for real: a stale claim taken over and the
// transactional mode (the store unreachable: events-store-unavailable.e2e-spec.ts).

describe('events: a claim not renewed for lockTimeout, taken over (PostgreSQL)', () => {
  const log = new EventLog();
  // The first owner's heartbeat never reaches the database (a frozen process).
  const { db, apps } = useTestApps(({ url }) =>
    raceModule(url, 'solo', { lockTimeout: 1, onEvent: log.onEvent }, { frozenHeartbeat: true }),
  );
  const [app] = apps;

  function post(key: string, gate?: string) {
    const test = app.http().post('/race').set('Idempotency-Key', key);
    return (gate ? test.set('X-Gate', gate) : test).send({ amount: 10 }).then((r) => r);
  }

  it('reports claimed, then taken_over and completed for the taker, nothing for the late first', async () => {
    const key = newKey();
    const held = gates.create('events-takeover');
    const first = post(key, 'events-takeover');
    await held.entered;
    // PostgreSQL waits, on its own clock, until the claim's lock has run out.
    await db.query(
      'SELECT pg_sleep(greatest(0, extract(epoch FROM locked_until - clock_timestamp()))::float8 + 0.01) FROM idempotency_keys WHERE key = $1',
      [key],
    );

    expect((await post(key)).status).toBe(201);
    held.release();
    expect((await first).status).toBe(201);
    expect((await post(key)).headers['idempotent-replay']).toBe('true');

    const fields = {
      scope: 'POST /race',
      route: 'POST /race',
      tenant: undefined,
      keyHash: keyHashOf(key),
      mode: 'default',
      durationMs: expect.any(Number),
    };
    expect(log.of(key)).toEqual([
      { outcome: 'claimed', ...fields },
      { outcome: 'taken_over', ...fields },
      { outcome: 'completed', status: 201, ...fields },
      { outcome: 'replayed', status: 201, ...fields },
    ]);
    expect(calls.of('race')).toBe(2);
  });
});

describe('events: the transactional mode (PostgreSQL)', () => {
  const log = new EventLog();
  const { apps } = useTestApps(async (database) => {
    await database.query(CREATE_LEDGER_SQL);
    return ledgerModule(database.url, { onEvent: log.onEvent });
  });
  const [app] = apps;

  const credit = (key: string, fail?: string) => {
    const test = app.http().post('/ledger/credit').set('Idempotency-Key', key);
    return (fail ? test.set('X-Fail', fail) : test).send({ ref: key, amount: 10 });
  };
  const httpFields = (key: string) => ({
    scope: 'POST /ledger/credit',
    route: 'POST /ledger/credit',
    tenant: undefined,
    keyHash: keyHashOf(key),
    mode: 'transactional',
    durationMs: expect.any(Number),
  });

  it('reports claimed and completed once it commits, then replayed', async () => {
    const key = newKey();
    expect((await credit(key)).status).toBe(201);
    expect((await credit(key)).headers['idempotent-replay']).toBe('true');
    expect(log.of(key)).toEqual([
      { outcome: 'claimed', ...httpFields(key) },
      { outcome: 'completed', status: 201, ...httpFields(key) },
      { outcome: 'replayed', status: 201, ...httpFields(key) },
    ]);
  });

  it('reports a 4xx stored after the rollback as completed, and a 5xx as released', async () => {
    const [refused, crashed] = [newKey(), newKey()];
    expect((await credit(refused, 'client')).status).toBe(400);
    expect((await credit(crashed, 'server')).status).toBe(500);
    expect(log.of(refused)).toEqual([
      { outcome: 'claimed', ...httpFields(refused) },
      { outcome: 'completed', status: 400, ...httpFields(refused) },
    ]);
    expect(log.of(crashed)).toEqual([
      { outcome: 'claimed', ...httpFields(crashed) },
      { outcome: 'released', status: 500, ...httpFields(crashed) },
    ]);
  });

  it('reports IdempotencyService.run(..., { transactional: true }) the same way', async () => {
    const service = app.app.get(IdempotencyService);
    const cls: ClsService = app.app.get(ClsServiceClass);
    const run = (key: string, fn: () => Promise<unknown>) =>
      cls.run(() => service.run('ledger.job', key, fn, { transactional: true }));
    const [done, failed] = [newKey(), newKey()];
    await run(done, async () => ({ ok: true }));
    await run(done, async () => ({ ok: false }));
    await expect(
      run(failed, async () => {
        throw new Error('job failed');
      }),
    ).rejects.toThrow('job failed');
    const fields = (key: string) => ({
      ...httpFields(key),
      scope: 'ledger.job',
      route: undefined,
    });
    expect(log.of(done)).toEqual([
      { outcome: 'claimed', ...fields(done) },
      { outcome: 'completed', status: 200, ...fields(done) },
      { outcome: 'replayed', status: 200, ...fields(done) },
    ]);
    expect(log.of(failed)).toEqual([
      { outcome: 'claimed', ...fields(failed) },
      { outcome: 'released', status: undefined, ...fields(failed) },
    ]);
  });
});
