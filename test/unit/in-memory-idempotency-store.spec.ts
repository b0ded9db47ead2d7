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
