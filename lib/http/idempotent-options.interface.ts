import type { ExecutionContext } from '@nestjs/common';
import type { Duration } from '../module/idempotency-module-options.interface.js';

/** Options of `@Idempotent()`. Unset fields fall back to the module's options. */
export interface IdempotentOptions {
  /** How long this route's keys are remembered. Defaults to the module's `ttl`. */
  ttl?: Duration;
  /**
   * Names the operation that keys belong to. The same key on two scopes names two unrelated
   * operations.
   * @default the method and route pattern, e.g. `'POST /customers/:id/payments'`
   */
  scope?: string;
  /** Whether a request without a key is rejected. Defaults to the module's `required`. */
  required?: boolean;
  /**
   * Takes the key from somewhere other than the header, such as a webhook event id in the
   * body. Returning `undefined` means "no key". The value is the key as it is (`"X"` and `X`
   * are two keys), 1 to `maxKeyLength` characters of visible ASCII, else the request is
   * `400 idempotency_key_invalid`.
   * @default the `headerName` header
   */
  key?: (context: ExecutionContext) => string | undefined;
  /**
   * Runs the handler inside a database transaction that also completes the key, so the
   * handler's writes and the stored response commit together or not at all. Needs
   * `@nestjs-cls/transactional` with its TypeORM adapter; the handler's services must write
   * through its `TransactionHost`.
   * @default false
   */
  transactional?: boolean;
  /**
   * Transactional mode: how long a duplicate waits for the first request to commit, then gets
   * its replay; `false` answers `409 idempotency_key_in_use` at once. Defaults to the module's
   * `waitForInFlight`.
   */
  waitForInFlight?: Duration | false;
}
