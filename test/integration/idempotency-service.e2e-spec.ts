import {
  IdempotencyException,
  IdempotencyOptionsError,
  IdempotencyService,
} from '../../lib/index.js';
import { Gate } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { useTestApps } from '../support/use-test-apps.js';
import { ordersModule } from '../fixtures/orders/orders.module.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IdempotencyException) return error.code;
    throw error;
  }
  throw new Error('expected an IdempotencyException');
}

describe('IdempotencyService.run(scope, key, fn, options)', () => {
  const { db, apps } = useTestApps(({ url }) => ordersModule(url));
  const [app] = apps;
  let service: IdempotencyService;

  beforeAll(() => {
    service = app.app.get(IdempotencyService);
  });

  it('runs fn once and returns its stored result to later calls', async () => {
    const key = newKey();
    let runs = 0;
    const fn = async () => ({ run: ++runs, at: 'ledger' });
    const first = await service.run('jobs.credit', key, fn);
    const second = await service.run('jobs.credit', key, fn);
    const third = await service.run('jobs.credit', key, fn);
    expect(first).toEqual({ run: 1, at: 'ledger' });
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(runs).toBe(1);
  });

  it('keeps scopes apart', async () => {
    const key = newKey();
    let runs = 0;
    await service.run('jobs.a', key, async () => ++runs);
    await service.run('jobs.b', key, async () => ++runs);
    expect(runs).toBe(2);
  });

  it('stores a result of undefined', async () => {
    const key = newKey();
    let runs = 0;
    const fn = async () => {
      runs++;
    };
    expect(await service.run('jobs.void', key, fn)).toBeUndefined();
    expect(await service.run('jobs.void', key, fn)).toBeUndefined();
    expect(runs).toBe(1);
  });

  it('rejects the same key with another fingerprint with idempotency_key_reused, without running fn', async () => {
    const key = newKey();
    let runs = 0;
    await service.run('jobs.fp', key, async () => ++runs, {
      fingerprint: { amount: 5, user: 'u1' },
    });
    // Same meaning, other key order: the same operation.
    expect(
      await service.run('jobs.fp', key, async () => ++runs, {
        fingerprint: { user: 'u1', amount: 5 },
      }),
    ).toBe(1);
    expect(
      await codeOf(
        service.run('jobs.fp', key, async () => ++runs, { fingerprint: { amount: 6, user: 'u1' } }),
      ),
    ).toBe('idempotency_key_reused');
    expect(runs).toBe(1);
  });

  it('releases the key when fn throws, so the next call runs it again', async () => {
    const key = newKey();
    let runs = 0;
    const boom = new Error('boom');
    await expect(
      service.run('jobs.flaky', key, async () => {
        runs++;
        throw boom;
      }),
    ).rejects.toBe(boom);
    const { rows } = await db.query(
      'SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(rows[0].n).toBe(0);
    expect(await service.run('jobs.flaky', key, async () => ++runs)).toBe(2);
    expect(await service.run('jobs.flaky', key, async () => ++runs)).toBe(2);
    expect(runs).toBe(2);
  });

  it('rejects a concurrent call with idempotency_key_in_use while the first runs', async () => {
    const key = newKey();
    const gate = new Gate();
    let runs = 0;
    const first = service.run('jobs.slow', key, async () => {
      runs++;
      await gate.pass();
      return 'done';
    });
    await gate.entered;
    expect(await codeOf(service.run('jobs.slow', key, async () => ++runs))).toBe(
      'idempotency_key_in_use',
    );
    gate.release();
    expect(await first).toBe('done');
    expect(await service.run('jobs.slow', key, async () => 'again')).toBe('done');
    expect(runs).toBe(1);
  });

  it('validates the key', async () => {
    expect(await codeOf(service.run('jobs.x', 'bad key', async () => 1))).toBe(
      'idempotency_key_invalid',
    );
    expect(await codeOf(service.run('jobs.x', '', async () => 1))).toBe('idempotency_key_invalid');
  });

  it('honours the ttl option', async () => {
    const key = newKey();
    await service.run('jobs.ttl', key, async () => 1, { ttl: '90s' });
    const { rows } = await db.query(
      'SELECT extract(epoch FROM expires_at - created_at)::float8 AS ttl FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(rows[0].ttl).toBe(90);
  });

  it('refuses a ttl that is no duration, naming the option, without running fn', async () => {
    let runs = 0;
    await expect(
      service.run('jobs.x', newKey(), async () => ++runs, { ttl: 'soon' }),
    ).rejects.toThrow(
      new IdempotencyOptionsError('ttl', 'seconds (> 0) or a duration such as "24h"', 'soon'),
    );
    expect(runs).toBe(0);
  });

  it('stores the result as a JSON 200, as inspect() shows it', async () => {
    const key = newKey();
    await service.run('jobs.inspected', key, async () => ({ ok: true }));
    expect((await service.inspect('jobs.inspected', key))?.response).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      bodyBytes: Buffer.byteLength('{"ok":true}'),
    });
  });

  it('purgeExpired() deletes expired keys only', async () => {
    const [expired, live] = [newKey(), newKey()];
    await service.run('jobs.purge', expired, async () => 1);
    await service.run('jobs.purge', live, async () => 1);
    await db.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1",
      [expired],
    );
    expect(await service.purgeExpired()).toBe(1);
    const { rows } = await db.query('SELECT key FROM idempotency_keys WHERE key = ANY($1)', [
      [expired, live],
    ]);
    expect(rows).toEqual([{ key: live }]);
  });
});
