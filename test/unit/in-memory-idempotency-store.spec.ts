import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { describeIdempotencyStore, InMemoryIdempotencyStore } from '../../lib/testing/index.js';

// The store contract against the in-memory store, with time moved by its injected clock. The
// runner's functions are passed in here (the PostgreSQL spec uses the globals), so both ways of
// giving the suite its runner are exercised.
let now = Date.UTC(2026, 0, 1);

describeIdempotencyStore(
  'InMemoryIdempotencyStore',
  {
    create: () => new InMemoryIdempotencyStore(() => now),
    elapse: (seconds) => {
      now += seconds * 1000;
    },
  },
  { describe, it, expect, beforeEach, afterAll },
);

// What the abstract IdempotencyStore gives a store that does not override it.
describe('IdempotencyStore defaults, on the in-memory store', () => {
  class UnreachableStore extends InMemoryIdempotencyStore {
    override stats(): ReturnType<InMemoryIdempotencyStore['stats']> {
      return Promise.reject(new Error('store down'));
    }
  }

  it('checkHealth(): healthy while stats() answers, else unhealthy with its message', async () => {
    expect(await new InMemoryIdempotencyStore().checkHealth()).toEqual({
      healthy: true,
      details: {},
    });
    expect(await new UnreachableStore().checkHealth()).toEqual({
      healthy: false,
      details: {},
      message: 'store down',
    });
  });

  it('claimInTransaction(): refused, naming the store', async () => {
    const request = {
      scope: 's',
      key: 'k',
      fingerprint: 'f',
      ttlSeconds: 60,
      lockTimeoutSeconds: 10,
    };
    await expect(new UnreachableStore().claimInTransaction(request, {}, 0)).rejects.toThrow(
      'UnreachableStore cannot claim keys inside a transaction',
    );
  });
});
