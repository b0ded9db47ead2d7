import { bodyObject, characters, checkStorable, describe, failOn } from '../http/validation.js';

/** The body of `POST /economy/adjust`, checked. */
export interface AdjustmentRequest {
  user_id: string;
  delta: number;
  reason: string;
}

/** Longest `user_id` accepted (the contract sets none; keys of unbounded length are a hazard). */
export const MAX_USER_ID = 200;
const MAX_REASON = 1000;

/**
 * `{"user_id": non-empty string, "delta": non-zero integer, "reason": string}`, with no text
 * the database cannot store (U+0000...).
 * @throws ProblemException `validation_failed`
 */
export function validateAdjustment(body: unknown): AdjustmentRequest {
  const { user_id, delta, reason } = bodyObject(body);
  const errors: string[] = [];
  if (typeof user_id !== 'string' || user_id === '' || characters(user_id) > MAX_USER_ID) {
    errors.push(
      `"user_id" must be a non-empty string of at most ${MAX_USER_ID} characters, got ${got(user_id)}.`,
    );
  }
  if (typeof delta !== 'number' || !Number.isSafeInteger(delta) || delta === 0) {
    errors.push(
      `"delta" must be a non-zero integer between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}, got ${typeof delta === 'number' ? delta : describe(delta)}.`,
    );
  }
  if (typeof reason !== 'string' || characters(reason) > MAX_REASON) {
    errors.push(
      `"reason" must be a string of at most ${MAX_REASON} characters, got ${got(reason)}.`,
    );
  }
  checkStorable(errors, { user_id, reason });
  failOn(errors);
  return { user_id: user_id as string, delta: delta as number, reason: reason as string };
}

function got(value: unknown): string {
  return typeof value === 'string'
    ? `a string of ${characters(value)} characters`
    : describe(value);
}
