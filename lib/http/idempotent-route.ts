import type { ExecutionContext } from '@nestjs/common';
import { IdempotencyOptionsError } from '../errors/idempotency-options.error.js';
import { durationSeconds } from '../key/parse-duration.js';
import type { IdempotentOptions } from './idempotent-options.interface.js';

/** What `@Idempotent()` stores: its options, validated when the class loads, durations in seconds. */
export interface IdempotentRouteMetadata {
  ttlSeconds?: number;
  scope?: string;
  required?: boolean;
  key?: (context: ExecutionContext) => string | undefined;
  transactional?: boolean;
  waitForInFlightSeconds?: number;
}

/** A decorated route's options, merged with its controller's and the module's: final. */
export interface IdempotentRoute {
  ttlSeconds: number;
  /** The explicit scope, or `undefined` for `'<METHOD> <route pattern>'`. */
  scope: string | undefined;
  required: boolean;
  key: ((context: ExecutionContext) => string | undefined) | undefined;
  transactional: boolean;
  /** 0: no wait. */
  waitForInFlightSeconds: number;
}

/**
 * Validates `@Idempotent()` options where they are written, so a typo fails when the class
 * loads rather than on the first request.
 * @throws IdempotencyOptionsError naming the first invalid option
 */
export function toRouteMetadata(options: IdempotentOptions): IdempotentRouteMetadata {
  const { ttl, scope, required, key, transactional, waitForInFlight } = options;
  if (scope !== undefined && (typeof scope !== 'string' || scope.length === 0)) {
    throw new IdempotencyOptionsError('@Idempotent scope', 'a non-empty string', scope);
  }
  if (required !== undefined && typeof required !== 'boolean') {
    throw new IdempotencyOptionsError('@Idempotent required', 'true or false', required);
  }
  if (key !== undefined && typeof key !== 'function') {
    throw new IdempotencyOptionsError('@Idempotent key', 'a function of the ExecutionContext', key);
  }
  if (transactional !== undefined && typeof transactional !== 'boolean') {
    throw new IdempotencyOptionsError('@Idempotent transactional', 'true or false', transactional);
  }
  // Only the fields that were given: a method's unset field must not hide its class's.
  const metadata: IdempotentRouteMetadata = { scope, required, key, transactional };
  if (ttl !== undefined) metadata.ttlSeconds = durationSeconds('@Idempotent ttl', ttl);
  if (waitForInFlight !== undefined) {
    metadata.waitForInFlightSeconds =
      waitForInFlight === false
        ? 0
        : durationSeconds('@Idempotent waitForInFlight', waitForInFlight);
  }
  for (const name of Object.keys(metadata) as Array<keyof IdempotentRouteMetadata>) {
    if (metadata[name] === undefined) delete metadata[name];
  }
  return metadata;
}
