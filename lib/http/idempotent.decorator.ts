import { Reflector } from '@nestjs/core';
import { IdempotencyOptionsError } from './errors/idempotency-options.error.js';
import { IDEMPOTENT_METADATA } from './idempotency.constants.js';
import type { IdempotentOptions } from './idempotency-module-options.interface.js';
import { parseDuration } from './key/parse-duration.js';

/**
 * Makes a route (or every route of a controller) safe to retry with an `Idempotency-Key`:
 * the first request with a key runs the handler, retries get its stored response.
 * GET, HEAD and OPTIONS routes are left alone. Options on a method win over the class's.
 * @throws IdempotencyOptionsError when the class loads, if an option is invalid
 * @example
 * @Post()
 * @Idempotent({ required: true, ttl: '1h' })
 * create(@Body() body: CreatePaymentDto) {}
 */
export const Idempotent = Reflector.createDecorator<IdempotentOptions | void, IdempotentOptions>({
  key: IDEMPOTENT_METADATA,
  transform: (options) => validateIdempotentOptions(options ?? {}),
});

function validateIdempotentOptions(options: IdempotentOptions): IdempotentOptions {
  const { ttl, scope, required, key, transactional } = options;
  if (ttl !== undefined && parseDuration(ttl) === undefined) {
    throw new IdempotencyOptionsError(
      '@Idempotent ttl',
      'seconds (> 0) or a duration such as "24h"',
      ttl,
    );
  }
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
  return options;
}
