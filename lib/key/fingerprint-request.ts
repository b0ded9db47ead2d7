import { createHash } from 'node:crypto';

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
  const hash = createHash('sha256')
    .update(method.toUpperCase())
    .update('\n')
    .update(url)
    .update('\n');
  if (Buffer.isBuffer(body)) hash.update('b:').update(body);
  else if (typeof body === 'string') hash.update('s:').update(body);
  else if (body !== undefined && body !== null) hash.update('j:').update(canonicalJson(body));
  return hash.digest('hex');
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
