/** Injection token of the options given to `IdempotencyModule.forRoot()` or `forRootAsync()`. */
export const IDEMPOTENCY_MODULE_OPTIONS = 'IDEMPOTENCY_MODULE_OPTIONS';

/** Metadata key under which `@Idempotent()` stores its options. */
export const IDEMPOTENT_METADATA = 'idempotency:idempotent';

/** Response headers that are stored with a response and sent again on a replay. */
export const REPLAYED_HEADERS = [
  'content-type',
  'location',
  'content-language',
  'content-disposition',
] as const;

/** Content type of every error the library answers with (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
