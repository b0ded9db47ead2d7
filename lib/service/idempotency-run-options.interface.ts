import type { Duration } from '../module/idempotency-module-options.interface.js';

/** Options of `IdempotencyService.run()`. */
export interface IdempotencyRunOptions {
  /** How long the key is remembered. Defaults to the module's `ttl`. */
  ttl?: Duration;
  /**
   * What identifies the operation's input (compared by meaning, like a JSON body). A later call
   * with the same key and another fingerprint fails with `idempotency_key_reused`.
   * @default none: only the key counts
   */
  fingerprint?: unknown;
  /**
   * Runs `fn` in a transaction of `@nestjs-cls/transactional` that also completes the key.
   * @default false
   */
  transactional?: boolean;
  /**
   * With `transactional`: how long a concurrent call with the key waits for the first one to
   * commit, then returns its result; `false` fails at once with `idempotency_key_in_use`.
   * Defaults to the module's `waitForInFlight`.
   */
  waitForInFlight?: Duration | false;
}
