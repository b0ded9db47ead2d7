import { describeIdempotencyStore, InMemoryIdempotencyStore } from '../../lib/testing/index.js';

// The store contract against the in-memory store, with time moved by its injected clock.
let now = Date.UTC(2026, 0, 1);

describeIdempotencyStore('InMemoryIdempotencyStore', {
  create: () => new InMemoryIdempotencyStore(() => now),
  elapse: (seconds) => {
    now += seconds * 1000;
  },
});
