/** What `checkHealth()` found. */
export interface IdempotencyStoreHealth {
  /** Whether the store can serve requests now. */
  healthy: boolean;
  /**
   * Facts for a health report, e.g. `{ reachable: true, table: 'idempotency_keys',
   * tablePresent: true }` for the PostgreSQL store.
   */
  details: Record<string, unknown>;
  /** What is wrong, when it is not healthy. */
  message?: string;
}
