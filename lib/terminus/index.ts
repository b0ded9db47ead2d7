// The `nestjs-idempotency/terminus` subpath: what needs `@nestjs/terminus`, an optional peer,
// kept out of the main entry so that apps without it never load it.
export {
  IdempotencyHealthIndicator,
  type IdempotencyHealthCheckOptions,
} from './idempotency.health.js';
