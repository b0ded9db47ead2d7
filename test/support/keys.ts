import { randomUUID } from 'node:crypto';

/** A fresh idempotency key, so no test sees another's. */
export function newKey(): string {
  return `key-${randomUUID()}`;
}
