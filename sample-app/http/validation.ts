import { isStorableText, UNSTORABLE_TEXT } from '../database/storable-text.js';
import { ProblemException } from './problem.exception.js';

// Small, hand-written checks: each validator collects what is wrong and fails once, with every
// problem in the `detail`.

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}

/**
 * The body as an object.
 * @throws ProblemException `validation_failed` for anything else
 */
export function bodyObject(body: unknown): JsonObject {
  if (isJsonObject(body)) return body;
  const got = body === undefined ? 'an empty body' : `${describe(body)}`;
  throw ProblemException.validationFailed(`The request body must be a JSON object, got ${got}.`);
}

/** Length in characters (code points), as a user counts them. */
export function characters(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** Adds an error for each string field that holds text the database cannot store. */
export function checkStorable(errors: string[], fields: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string' && !isStorableText(value)) {
      errors.push(`"${name}" must not contain ${UNSTORABLE_TEXT}.`);
    }
  }
}

/**
 * Throws one `validation_failed` listing every error, if there is any.
 * @throws ProblemException `validation_failed`
 */
export function failOn(errors: string[]): void {
  if (errors.length > 0) throw ProblemException.validationFailed(errors.join(' '));
}

/** "a string", "a number", "null"...: what a field was, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'nothing';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}
