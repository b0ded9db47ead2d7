import { IdempotencyConfigurationError } from './idempotency-configuration.error.js';

/** Thrown at start-up (or when a decorated class loads) when an option is invalid. */
export class IdempotencyOptionsError extends IdempotencyConfigurationError {
  override name = 'IdempotencyOptionsError';

  constructor(option: string, expected: string, got: unknown) {
    super(
      `Invalid IdempotencyModule option "${option}": expected ${expected}, got ${describe(got)}.`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
