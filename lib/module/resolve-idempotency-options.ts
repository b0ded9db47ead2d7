import { IdempotencyOptionsError } from '../errors/idempotency-options.error.js';
import { durationSeconds } from '../key/parse-duration.js';
import { IdempotencyStore } from '../store/idempotency-store.js';
import type { IdempotencyModuleOptions } from './idempotency-module-options.interface.js';
import type { ResolvedIdempotencyOptions } from './resolved-idempotency-options.interface.js';

const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// The key and its scope share one primary-key entry, which PostgreSQL caps at 2704 bytes: this
// leaves room for the scope, so no key a client sends can make the claim fail.
const MAX_KEY_LENGTH = 1024;

/**
 * Validates the module options once, at start-up, and fills in every default field by field
 * (an explicit `undefined` keeps the default).
 * @throws IdempotencyOptionsError naming the first invalid option
 */
export function resolveIdempotencyOptions(
  options: IdempotencyModuleOptions = {},
): ResolvedIdempotencyOptions {
  const header = headerName('headerName', options.headerName, 'Idempotency-Key');
  return {
    ttlSeconds: duration('ttl', options.ttl, 86_400),
    lockTimeoutSeconds: duration('lockTimeout', options.lockTimeout, 10),
    waitForInFlightSeconds:
      options.waitForInFlight === false
        ? 0
        : duration('waitForInFlight', options.waitForInFlight, 0),
    headerName: header,
    headerKey: header.toLowerCase(),
    replayHeaderName: headerName('replayHeaderName', options.replayHeaderName, 'Idempotent-Replay'),
    maxKeyLength: keyLength(options.maxKeyLength),
    required: boolean('required', options.required, false),
    tenant: fn('tenant', options.tenant, undefined),
    shouldStore: fn('shouldStore', options.shouldStore, ({ status }) => status < 500)!,
    mismatchStatus: mismatchStatus(options.mismatchStatus),
    maxResponseBytes: positiveInteger('maxResponseBytes', options.maxResponseBytes, 1024 * 1024),
    purgeIntervalSeconds:
      options.purgeInterval === false
        ? false
        : duration('purgeInterval', options.purgeInterval, false),
    preparedStatements: boolean('preparedStatements', options.preparedStatements, true),
    onEvent: fn('onEvent', options.onEvent, undefined),
    store: store(options.store),
  };
}

function duration<T extends number | false>(name: string, value: unknown, fallback: T): number | T {
  return value === undefined ? fallback : durationSeconds(name, value);
}

function headerName(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !HEADER_TOKEN.test(value)) {
    throw new IdempotencyOptionsError(name, 'an HTTP header name such as "Idempotency-Key"', value);
  }
  return value;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new IdempotencyOptionsError(name, 'a positive integer', value);
  }
  return value;
}

function keyLength(value: unknown): number {
  const length = positiveInteger('maxKeyLength', value, 128);
  if (length > MAX_KEY_LENGTH) {
    throw new IdempotencyOptionsError(
      'maxKeyLength',
      `an integer from 1 to ${MAX_KEY_LENGTH}`,
      value,
    );
  }
  return length;
}

function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new IdempotencyOptionsError(name, 'true or false', value);
  return value;
}

function fn<T>(name: string, value: T | undefined, fallback: T | undefined): T | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw new IdempotencyOptionsError(name, 'a function', value);
  return value;
}

function mismatchStatus(value: unknown): 409 | 422 {
  if (value === undefined) return 409;
  if (value !== 409 && value !== 422)
    throw new IdempotencyOptionsError('mismatchStatus', '409 or 422', value);
  return value;
}

function store(value: unknown): IdempotencyStore | undefined {
  if (value === undefined || value instanceof IdempotencyStore) return value;
  throw new IdempotencyOptionsError(
    'store',
    'an instance of a class that extends IdempotencyStore',
    value,
  );
}
