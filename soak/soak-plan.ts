/** The fixed shape of a soak: the request mix, the app's settings and the pass criteria. */
export const SOAK_PLAN = {
  /** Shares of new operations; what is left over are webhook events. */
  adjustShare: 0.45,
  customerShare: 0.4,
  /** Operations sent a second time with the same key, 0 to 300 ms after the first. */
  retryShare: 0.1,
  /** Operations whose first attempt carries `X-Simulate: crash`. */
  crashShare: 0.01,
  /** Webhook events delivered again within the TTL (a replay is due) ... */
  redeliveryShare: 0.2,
  /** ... and after it, once the key was purged (the handler runs, credits nothing). */
  lateRedeliveryShare: 0.05,
  tenants: 4,
  usersPerTenant: 20,
  /** `IDEMPOTENCY_TTL_SECONDS`: short, so that the purge has work. */
  ttlSeconds: 60,
  /** `IDEMPOTENCY_LOCK_TIMEOUT_SECONDS`: the library's default, how long a crashed key is blocked. */
  lockTimeoutSeconds: 10,
  /** `IDEMPOTENCY_PURGE_INTERVAL_SECONDS`: the library's `purgeInterval`. */
  purgeIntervalSeconds: 10,
  /** RSS and table size may not grow by more than this share over the last third of the run. */
  growthTolerance: 0.1,
  /**
   * Growth is judged only when the last third starts after this: until the first keys expire
   * (the TTL) and autovacuum has made their space reusable, the table grows as it should.
   */
  warmUpMinutes: 5,
  /**
   * RSS and the table are sampled at random intervals between these (seconds): a fixed period
   * locks onto the purge's and sees the same point of its sawtooth, which drifts over the run.
   */
  sampleSeconds: { min: 4, max: 10 },
  /** A client gives an operation up (and the soak fails) after this long without an answer. */
  giveUpSeconds: 180,
};
