import { bodyObject, characters, checkStorable, describe, failOn } from '../http/validation.js';

/** The body of `POST /customers`, checked. */
export interface NewCustomer {
  name: string;
  email: string | null;
}

/**
 * `{"name": string of 1..200 characters, "email"?: string of at most 320 characters or null}`.
 * Other fields are ignored. Text the database cannot store (U+0000...) is refused.
 * @throws ProblemException `validation_failed`
 */
export function validateNewCustomer(body: unknown): NewCustomer {
  const { name, email } = bodyObject(body);
  const errors: string[] = [];
  if (typeof name !== 'string' || characters(name) < 1 || characters(name) > 200) {
    errors.push(`"name" must be a string of 1 to 200 characters, got ${detail(name)}.`);
  }
  if (
    email !== undefined &&
    email !== null &&
    (typeof email !== 'string' || characters(email) > 320)
  ) {
    errors.push(
      `"email" must be a string of at most 320 characters, or null, got ${detail(email)}.`,
    );
  }
  checkStorable(errors, { name, email });
  failOn(errors);
  return { name: name as string, email: (email as string | null | undefined) ?? null };
}

function detail(value: unknown): string {
  return typeof value === 'string'
    ? `a string of ${characters(value)} characters`
    : describe(value);
}
