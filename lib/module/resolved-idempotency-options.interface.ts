import type { IdempotencyStore } from '../store/idempotency-store.js';
import type {
  IdempotencyModuleOptions,
  ResponseSummary,
} from './idempotency-module-options.interface.js';

/** Module options after validation: every default filled in, durations in seconds. */
export interface ResolvedIdempotencyOptions {
  ttlSeconds: number;
  lockTimeoutSeconds: number;
  /** 0: no wait. */
  waitForInFlightSeconds: number;
  /** As configured, for messages. */
  headerName: string;
  /** `headerName` lower-cased, as Node.js presents request headers. */
  headerKey: string;
  replayHeaderName: string;
  maxKeyLength: number;
  required: boolean;
  tenant: IdempotencyModuleOptions['tenant'];
  shouldStore: (response: ResponseSummary) => boolean;
  mismatchStatus: 409 | 422;
  maxResponseBytes: number;
  purgeIntervalSeconds: number | false;
  preparedStatements: boolean;
  onEvent: IdempotencyModuleOptions['onEvent'];
  store: IdempotencyStore | undefined;
}
