import { createHash, hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** The parts of a request that decide whether a retry is "the same request". */
export interface FingerprintInput {
  method: string;
  /** Path with its query string, as the client sent it. */
  url: string;
  /** The parsed body (compared by meaning), a raw string or Buffer (compared by bytes), or nothing. */
  body: unknown;
}

// A string with an unpaired surrogate, which UTF-8 cannot encode (it would become U+FFFD).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A SHA-256 hex digest of method, path with query, and body. A parsed body counts by its
 * meaning: JSON key order and white space do not change the fingerprint, and values that JSON
 * cannot represent (`NaN`, `-0`, `BigInt`, dates, buffers...) never share one with other values.
 */
export function fingerprintRequest({ method, url, body }: FingerprintInput): string {
  const head = `${method.toUpperCase()}\n${url}\n`;
  // One-shot hashing of one string (every request pays for it, replays included); raw bytes are
  // streamed in rather than copied next to the head.
  if (Buffer.isBuffer(body))
    return createHash('sha256').update(`${head}b:`).update(body).digest('hex');
  if (typeof body === 'string') {
    // UTF-8 would turn every lone surrogate into U+FFFD: such strings are hashed escaped instead.
    const text = LONE_SURROGATE.test(body) ? `u:${JSON.stringify(body)}` : `s:${body}`;
    return hash('sha256', head + text, 'hex');
  }
  if (body === undefined || body === null) return hash('sha256', head, 'hex');
  return hash('sha256', `${head}j:${canonicalJson(body)}`, 'hex');
}
