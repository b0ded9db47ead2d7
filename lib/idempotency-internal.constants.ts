/** Injection token of the module options after validation, with every default filled in. */
export const RESOLVED_IDEMPOTENCY_OPTIONS = Symbol('RESOLVED_IDEMPOTENCY_OPTIONS');

/** Methods that never change anything: the interceptor lets them through untouched. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Seconds a client is told to wait before retrying a key that is in use. */
export const IN_USE_RETRY_AFTER_SECONDS = 1;
