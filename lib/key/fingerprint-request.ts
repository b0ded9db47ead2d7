import { createHash, hash } from 'node:crypto';

/** The parts of a request that decide whether a retry is "the same request". */
export interface FingerprintInput {
  method: string;
  /** Path with its query string, as the client sent it. */
  url: string;
  /** The parsed body (compared by meaning), a raw string or Buffer (compared by bytes), or nothing. */
  body: unknown;
}

/**
 * A SHA-256 hex digest of method, path with query, and body. A parsed JSON body counts by its
 * meaning: key order and white space do not change the fingerprint.
 */
export function fingerprintRequest({ method, url, body }: FingerprintInput): string {
  const head = `${method.toUpperCase()}\n${url}\n`;
  // One-shot hashing of one string (every request pays for it, replays included); raw bytes are
  // streamed in rather than copied next to the head.
  if (Buffer.isBuffer(body))
    return createHash('sha256').update(`${head}b:`).update(body).digest('hex');
  if (typeof body === 'string') return hash('sha256', `${head}s:${body}`, 'hex');
  if (body === undefined || body === null) return hash('sha256', head, 'hex');
  return hash('sha256', `${head}j:${canonicalJson(body)}`, 'hex');
}

/** JSON with object keys sorted at every depth, so that equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object' && !isJsonLeaf(value)) {
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Objects that JSON.stringify turns into a single value (dates and the like). */
function isJsonLeaf(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
