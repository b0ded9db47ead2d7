export { IdempotencyModule } from './module/idempotency.module.js';
export type { IdempotencyModuleExtras } from './module/idempotency.module-definition.js';
export type {
  Duration,
  IdempotencyModuleOptions,
  ResponseSummary,
} from './module/idempotency-module-options.interface.js';
export {
  IDEMPOTENCY_MODULE_OPTIONS,
  IDEMPOTENT_METADATA,
  PROBLEM_CONTENT_TYPE,
  REPLAYED_HEADERS,
} from './idempotency.constants.js';
export { Idempotent } from './http/idempotent.decorator.js';
export type { IdempotentOptions } from './http/idempotent-options.interface.js';
export { IdempotencyInterceptor } from './http/idempotency.interceptor.js';
export { IdempotencyExceptionFilter } from './http/idempotency-exception.filter.js';
export { IdempotencyService } from './service/idempotency.service.js';
export { tenantScope } from './core/idempotency-protocol.js';
export type { IdempotencyRunOptions } from './service/idempotency-run-options.interface.js';
export type {
  IdempotencyEvent,
  IdempotencyEventDetails,
  IdempotencyEventFields,
  IdempotencyMode,
  IdempotencyOutcome,
} from './observability/idempotency-event.interface.js';
export {
  IdempotencyException,
  type IdempotencyErrorCode,
  type IdempotencyProblem,
} from './errors/idempotency.exception.js';
export { IdempotencyConfigurationError } from './errors/idempotency-configuration.error.js';
export { IdempotencyOptionsError } from './errors/idempotency-options.error.js';
export {
  IdempotencyStore,
  type Claim,
  type ClaimOutcome,
  type ClaimRequest,
  type StoredResponse,
} from './store/idempotency-store.js';
export { RestartTransactionError } from './store/restart-transaction.error.js';
export type {
  InspectKeyOptions,
  StoredKey,
  StoredKeyResponse,
} from './store/stored-key.interface.js';
export type { EvictKeyOptions, Eviction } from './store/eviction.interface.js';
export type { IdempotencyStoreStats } from './store/idempotency-store-stats.interface.js';
export type { IdempotencyStoreHealth } from './store/idempotency-store-health.interface.js';
export {
  PostgresIdempotencyStore,
  type PostgresIdempotencyStoreOptions,
} from './store/postgres-idempotency.store.js';
export { IDEMPOTENCY_TABLE } from './store/idempotency-table.constants.js';
export { InMemoryIdempotencyStore } from './store/in-memory-idempotency.store.js';
export {
  CreateIdempotencyKeys1796256000000,
  CREATE_IDEMPOTENCY_KEYS_SQL,
} from '../migrations/1796256000000-CreateIdempotencyKeys.js';
export {
  AddIdempotencyKeysInProgressIndex1796256200000,
  ADD_IDEMPOTENCY_KEYS_IN_PROGRESS_INDEX_SQL,
} from '../migrations/1796256200000-AddIdempotencyKeysInProgressIndex.js';
