import { createHash } from 'node:crypto';

/**
 * What events and log lines show of a key: the first 16 hex digits of its SHA-256. Enough to
 * follow one key through retries; an operator holding the key finds its lines with
 * `printf %s "$KEY" | sha256sum | cut -c1-16`.
 */
export function hashIdempotencyKey(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}
