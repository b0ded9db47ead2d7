export { IdempotencyModule } from './idempotency.module.js';
export type { IdempotencyModuleExtras } from './idempotency.module-definition.js';
export {
  IDEMPOTENCY_MODULE_OPTIONS,
  IDEMPOTENT_METADATA,
  REPLAYED_HEADERS,
} from './idempotency.constants.js';
export type {
  Duration,
  IdempotencyModuleOptions,
  IdempotentOptions,
  ResponseSummary,
} from './idempotency-module-options.interface.js';
export { Idempotent } from './idempotent.decorator.js';
export { IdempotencyInterceptor } from './idempotency.interceptor.js';
export { IdempotencyService, type IdempotencyRunOptions } from './idempotency.service.js';
export {
  IdempotencyException,
  type IdempotencyErrorCode,
  type IdempotencyProblem,
} from './errors/idempotency.exception.js';
export { IdempotencyOptionsError } from './errors/idempotency-options.error.js';
export {
  IdempotencyStore,
  type Claim,
  type ClaimOutcome,
  type ClaimRequest,
  type StoredResponse,
} from './store/idempotency-store.js';
export {
  PostgresIdempotencyStore,
  IDEMPOTENCY_TABLE,
  type PostgresIdempotencyStoreOptions,
} from './store/postgres-idempotency.store.js';
export { InMemoryIdempotencyStore } from './store/in-memory-idempotency.store.js';
export {
  CreateIdempotencyKeys1796256000000,
  CREATE_IDEMPOTENCY_KEYS_SQL,
} from '../migrations/1796256000000-CreateIdempotencyKeys.js';
