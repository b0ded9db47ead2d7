import { MODULE_OPTIONS_TOKEN } from './idempotency.module-definition.js';

/** Injection token of the options given to `IdempotencyModule.forRoot()` or `forRootAsync()`. */
export const IDEMPOTENCY_MODULE_OPTIONS = MODULE_OPTIONS_TOKEN;

/** Injection token of the options after validation, with every default filled in. */
export const RESOLVED_IDEMPOTENCY_OPTIONS = Symbol('RESOLVED_IDEMPOTENCY_OPTIONS');

/** Metadata key under which `@Idempotent()` stores its options. */
export const IDEMPOTENT_METADATA = 'idempotency:idempotent';

/** Methods that never change anything: the interceptor lets them through untouched. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Response headers that are stored with a response and sent again on a replay. */
export const REPLAYED_HEADERS = [
  'content-type',
  'location',
  'content-language',
  'content-disposition',
] as const;

/** Content type of every error the library answers with (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
