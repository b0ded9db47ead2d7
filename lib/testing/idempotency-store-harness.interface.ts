import type { IdempotencyStore } from '../store/idempotency-store.js';

/**
 * How `describeIdempotencyStore` reaches the store under test: fresh stores, and a clock it can
 * move without sleeping.
 * @example
 * let clock = Date.UTC(2026, 0, 1);
 * const harness: IdempotencyStoreHarness = {
 *   create: () => new InMemoryIdempotencyStore(() => clock),
 *   elapse: (seconds) => {
 *     clock += seconds * 1000;
 *   },
 * };
 */
export interface IdempotencyStoreHarness {
  /** A store that holds no keys yet: a new instance, or one on an emptied table. Called before each case. */
  create(): IdempotencyStore | Promise<IdempotencyStore>;

  /**
   * Makes `seconds` pass for every key the last created store holds: advance its injected
   * clock, or move the keys' timestamps (creation, lock, expiry) back by that much. Keys
   * claimed afterwards start from the new "now".
   */
  elapse(seconds: number): void | Promise<void>;

  /** Runs once after the last case, e.g. to close the connections `create()` opened. */
  close?(): void | Promise<void>;
}
