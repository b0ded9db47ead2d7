import { IdempotencyOptionsError } from '../errors/idempotency-options.error.js';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Seconds in a duration (`30`, `"30s"`, `"24h"`...), or `undefined` unless it is > 0. */
export function parseDuration(value: unknown): number | undefined {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]] : undefined;
  }
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * Seconds in the duration given for `option`.
 * @throws IdempotencyOptionsError naming the option when the value is not a duration > 0
 */
export function durationSeconds(option: string, value: unknown): number {
  const seconds = parseDuration(value);
  if (seconds === undefined) {
    throw new IdempotencyOptionsError(option, 'seconds (> 0) or a duration such as "24h"', value);
  }
  return seconds;
}
