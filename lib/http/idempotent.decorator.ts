import { Reflector } from '@nestjs/core';
import { IDEMPOTENT_METADATA } from '../idempotency.constants.js';
import type { IdempotentOptions } from './idempotent-options.interface.js';
import { toRouteMetadata, type IdempotentRouteMetadata } from './idempotent-route.js';

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
export const Idempotent = Reflector.createDecorator<
  IdempotentOptions | void,
  IdempotentRouteMetadata
>({
  key: IDEMPOTENT_METADATA,
  transform: (options) => toRouteMetadata(options ?? {}),
});
