/** What `stats()` reports: a few numbers worth a dashboard, cheap enough to poll. */
export interface IdempotencyStoreStats {
  /** Keys by status. */
  keys: {
    /** Claims in flight, live or stale. */
    inProgress: number;
    /** Completed keys, expired ones included until the purge deletes them. */
    completed: number;
  };
  /**
   * `true` when `keys.completed` is the database's estimate rather than a count: the PostgreSQL
   * store counts up to 10,000 keys and estimates above, so that polling stays cheap.
   */
  estimated: boolean;
  /**
   * Age in seconds of the oldest live claim (its lock renewed in time), or `null` when none runs.
   * A value that keeps growing is a handler that runs, or hangs, that long.
   */
  oldestClaimSeconds: number | null;
  /**
   * Claims whose lock ran out without a renewal: their process died. The next request with the
   * key takes it over; the purge deletes it once it has expired too.
   */
  staleClaims: number;
  /** Keys the purge would delete now (`purgeExpired()`, or the module's `purgeInterval`). */
  expired: number;
}
