import type { IdempotencyErrorCode } from './idempotency.exception.js';

/** Title and detail of each error the library answers with, in one place. */
export const IDEMPOTENCY_MESSAGES: Record<IdempotencyErrorCode, { title: string; detail: string }> =
  {
    idempotency_key_missing: {
      title: 'Idempotency key missing',
      detail: 'This operation requires an idempotency key; send one in the {header} header.',
    },
    idempotency_key_invalid: {
      title: 'Idempotency key invalid',
      detail: 'An idempotency key is 1 to {max} characters of visible ASCII (0x21 to 0x7E).',
    },
    idempotency_key_reused: {
      title: 'Idempotency key reused',
      detail: 'This idempotency key was already used for a different request.',
    },
    idempotency_key_in_use: {
      title: 'Idempotency key in use',
      detail: 'A request with this idempotency key is still being processed; retry later.',
    },
    idempotency_store_unavailable: {
      title: 'Idempotency store unavailable',
      detail: 'The idempotency store cannot be reached, so the operation was not run; retry later.',
    },
    idempotency_response_unavailable: {
      title: 'Idempotent response unavailable',
      detail:
        'The operation for this idempotency key completed, but its response was too large or streamed and was not stored. It is not run again.',
    },
  };
