import { randomUUID } from 'node:crypto';

/** A fresh idempotency key (visible ASCII), so no test sees another's. */
export function newKey(label = 'key'): string {
  return `${label}-${randomUUID()}`;
}
