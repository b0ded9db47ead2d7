import { randomUUID } from 'node:crypto';

/** A fresh bearer token, which names a fresh tenant: each test sees only its own data. */
export function newToken(label = 'tenant'): string {
  return `${label}-${randomUUID()}`;
}
