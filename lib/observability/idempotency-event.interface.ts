/** How a key was claimed: committed on its own, or inside the handler's transaction. */
export type IdempotencyMode = 'default' | 'transactional';

/** What every event tells: which operation, which key (hashed), how, how long. */
export interface IdempotencyEventFields {
  /**
   * The operation the key belongs to, as the app names it, without the tenant:
   * `'POST /orders/:id/pay'` (the default), the `@Idempotent({ scope })`, or the `scope` given
   * to `IdempotencyService.run()`.
   */
  scope: string;
  /** What the `tenant` option returned; `undefined` without one, and for `IdempotencyService`. */
  tenant: string | undefined;
  /** `'<METHOD> <route pattern>'` of the HTTP request; `undefined` for `IdempotencyService`. */
  route: string | undefined;
  /**
   * The first 16 hex digits of the key's SHA-256, never the key itself:
   * `printf %s "$KEY" | sha256sum | cut -c1-16` finds a key's events.
   */
  keyHash: string;
  mode: IdempotencyMode;
  /**
   * Milliseconds. For the answer to a request (`claimed` to `store_unavailable` at `'claim'`):
   * how long the store took to decide, in the transactional mode from `BEGIN`, a
   * `waitForInFlight` wait included. For the end of a claim (`completed`, `released`,
   * `store_unavailable` at `'settle'`, `renewal_failed`): the time since the key was claimed.
   */
  durationMs: number;
}

/**
 * One thing the library did with a key, for `onEvent`, the debug log and OpenTelemetry. A
 * request with a key gets exactly one answer (`claimed`, `taken_over`, `replayed`,
 * `key_reused`, `in_use`, `response_unavailable` or `store_unavailable` at `'claim'`); a claimed
 * one then ends with exactly one of `completed`, `released` or `store_unavailable` at
 * `'settle'`, unless another request took its key over first. Requests without a key, or with
 * a malformed one, have no events.
 */
export type IdempotencyEvent = IdempotencyEventFields & IdempotencyEventDetails;

/** The part of an `IdempotencyEvent` that depends on its `outcome`. */
export type IdempotencyEventDetails =
  | {
      /**
       * The request owns the key and runs: a new claim, or `taken_over` from a claim not
       * renewed for `lockTimeout` (a process that died or stalled).
       */
      outcome: 'claimed' | 'taken_over';
    }
  | {
      /** The stored response went out again; the handler did not run. */
      outcome: 'replayed';
      /** The stored response's status. */
      status: number;
    }
  | {
      /**
       * Refused, the handler did not run: `key_reused` (another request's key), `in_use` (its
       * first request still runs), `response_unavailable` (completed, but too large to store).
       */
      outcome: 'key_reused' | 'in_use' | 'response_unavailable';
    }
  | {
      /** The response is stored: retries replay it. */
      outcome: 'completed';
      /** The stored status (200 for `IdempotencyService`). */
      status: number;
    }
  | {
      /** The key is free again (a 5xx, or the work threw): a retry runs it again. */
      outcome: 'released';
      /** The status that went out, or `undefined` when the work threw (`IdempotencyService`). */
      status: number | undefined;
    }
  | {
      /**
       * The store could not be reached. At `'claim'`: the request was answered `503`
       * without running. At `'settle'`: the handler ran, and its key could not be completed
       * or released (default mode: the store keeps trying in the background) or its
       * transaction could not commit (transactional mode: the answer is `503`).
       */
      outcome: 'store_unavailable';
      stage: 'claim' | 'settle';
    }
  | {
      /**
       * The heartbeat could not extend a running handler's claim: `taken_over` (another request
       * has the key; both run) or `store_unavailable` (renewals go on until the store answers).
       * Once per lapse: again only after a renewal has succeeded.
       */
      outcome: 'renewal_failed';
      reason: 'taken_over' | 'store_unavailable';
    };

/** Every `outcome` of an `IdempotencyEvent`. */
export type IdempotencyOutcome = IdempotencyEvent['outcome'];

/** What every event of one request shares: all of `IdempotencyEventFields` but the duration. */
export type IdempotencyEventSubject = Omit<IdempotencyEventFields, 'durationMs'>;
