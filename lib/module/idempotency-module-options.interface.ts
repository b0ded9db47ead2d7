import type { ExecutionContext } from '@nestjs/common';
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
   * How long an in-flight claim blocks other requests with the same key. A claim older than
   * this is taken to belong to a process that died, and the next request takes it over. Keep
   * it longer than your slowest handler.
   * @default '30s'
   */
  lockTimeout?: Duration;
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
   * Turn off behind a pooler that cannot keep prepared statements (PgBouncer before 1.21 in
   * transaction mode).
   * @default true
   */
  preparedStatements?: boolean;
  /**
   * The store to use instead of PostgreSQL, e.g. an `InMemoryIdempotencyStore` in tests.
   * @default the PostgreSQL store on the module's DataSource
   */
  store?: IdempotencyStore;
}
