/**
 * A problem in how the library is set up (an invalid option, a missing DataSource or plugin, an
 * unsupported NestJS or TypeORM version). Thrown at start-up, never while serving a request.
 */
export class IdempotencyConfigurationError extends Error {
  override name = 'IdempotencyConfigurationError';
}
