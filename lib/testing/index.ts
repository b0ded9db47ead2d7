export { describeIdempotencyStore } from './describe-idempotency-store.js';
export type { IdempotencyStoreHarness } from './idempotency-store-harness.interface.js';
export type { TestApi } from './test-api.interface.js';
export { InMemoryIdempotencyStore } from '../store/in-memory-idempotency.store.js';
