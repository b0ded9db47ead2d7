import type { ExecutionContext } from '@nestjs/common';
import type { IdempotencyEvent } from '../observability/idempotency-event.interface.js';
import type { IdempotencyStore } from '../store/idempotency-store.js';

/**
 * A length of time: a number of seconds, or a string such as `"500ms"`, `"30s"`, `"15m"`,
 * `"24h"` or `"7d"`.
 */
export type Duration = number | string;

/** What `shouldStore` is shown of a finished response. */
export interface ResponseSummary {
  /** The HTTP status code that was sent. */
  status: number;
}

/** Options of `IdempotencyModule.forRoot()` and of the factory of `forRootAsync()`. */
export interface IdempotencyModuleOptions {
  /**
   * How long a completed key is remembered. After that the same key names a new operation.
   * @default '24h'
   */
  ttl?: Duration;
  /**
   * How long a claim outlives its process. While a handler runs, its claim is renewed every
   * third of this (a heartbeat), so other requests with the key get `409 idempotency_key_in_use`
   * however long it runs. A claim not renewed for this long belongs to a process that died, and
   * the next request takes it over: this bounds how long a crashed request blocks its key. Keep
   * it well above the longest pause of your event loop and of your database.
   * @default '10s'
   */
  lockTimeout?: Duration;
  /**
   * Transactional mode: how long a duplicate waits for the first request with its key to
   * commit, then gets its replay (the IETF draft's and Stripe's "wait, then answer"), on
   * PostgreSQL's own lock, with no polling. Past the wait, or with `false`, it gets
   * `409 idempotency_key_in_use` at once, holding no connection. A waiting request holds a
   * database connection. `@Idempotent({ waitForInFlight })` overrides it per route.
   * @default false
   */
  waitForInFlight?: Duration | false;
  /**
   * Request header that carries the key.
   * @default 'Idempotency-Key'
   */
  headerName?: string;
  /**
   * Response header set to `true` on a replayed response.
   * @default 'Idempotent-Replay'
   */
  replayHeaderName?: string;
  /**
   * Longest accepted key, in characters: 1 to 1024 (the key shares PostgreSQL's 2704-byte
   * index entry with its scope).
   * @default 128
   */
  maxKeyLength?: number;
  /**
   * Whether decorated routes reject requests without a key (`400 idempotency_key_missing`).
   * `@Idempotent({ required })` overrides it per route.
   * @default false
   */
  required?: boolean;
  /**
   * Returns the caller's tenant (an account id, a hash of the API token, `req.user.id`...).
   * Keys are scoped by it, so two tenants never share a key. May return a promise.
   * @default no tenant: keys are scoped by route only
   */
  tenant?: (context: ExecutionContext) => string | undefined | Promise<string | undefined>;
  /**
   * Which finished responses are stored and replayed. Responses that are not stored release
   * the key, so a retry runs the handler again.
   * @default every status below 500
   */
  shouldStore?: (response: ResponseSummary) => boolean;
  /**
   * Status of the answer to a key reused with a different request. 422 is what the IETF
   * `Idempotency-Key` draft suggests.
   * @default 409
   */
  mismatchStatus?: 409 | 422;
  /**
   * Largest response body that is stored, in bytes. A larger (or streamed) response is still
   * sent, and its key is completed without a body: a retry gets
   * `409 idempotency_response_unavailable` and the handler does not run again.
   * @default 1048576 (1 MiB)
   */
  maxResponseBytes?: number;
  /**
   * Deletes expired keys this often, in batches. `false` leaves purging to you
   * (`IdempotencyService.purgeExpired()`).
   * @default false
   */
  purgeInterval?: Duration | false;
  /**
   * Send the PostgreSQL store's SQL as named prepared statements, planned once per connection.
   * Behind a pooler that cannot keep them (PgBouncer in transaction mode without
   * `max_prepared_statements`, say) the store notices the first time the server says so
   * (SQLSTATE 26000 or 42P05), sends that statement again unnamed, and from then on sends all
   * its statements unnamed, with one warning in the log: no request fails. `false` sends them
   * unnamed from the start.
   * @default true (named, with the pooler detection)
   */
  preparedStatements?: boolean;
  /**
   * Called with every event: a claim, a replay, a refusal, a completion, a release, a store
   * outage, a lost lease (see `IdempotencyEvent`). Events carry a hash of the key, never the key
   * or the body. Called synchronously, on the request's path: keep it quick, hand slow work off.
   * What it throws (or an async one rejects) is logged once per outcome, and the request goes on.
   * @default none: events only reach the debug log and OpenTelemetry
   * @example onEvent: (event) => logger.log(`${event.outcome} ${event.route} ${event.keyHash}`)
   */
  onEvent?: (event: IdempotencyEvent) => void;
  /**
   * The store to use instead of PostgreSQL, e.g. an `InMemoryIdempotencyStore` in tests.
   * @default the PostgreSQL store on the module's DataSource
   */
  store?: IdempotencyStore;
}
