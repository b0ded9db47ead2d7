import { createHash } from 'node:crypto';

/** Longest tenant kept readable in a scope; longer ones are digested (see `encodeTenant`). */
export const MAX_ENCODED_TENANT_LENGTH = 256;

// An unpaired surrogate, on which encodeURIComponent throws a URIError. Captured, so that
// split() keeps each one at an odd index.
const LONE_SURROGATE = /([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/;

/**
 * The tenant as it goes into a scope: percent-encoded, so that it holds no `|`, and so that two
 * tenants never share a form. A lone surrogate becomes `%uD800` (encodeURIComponent only writes
 * `%` before two hex digits), and a form longer than `MAX_ENCODED_TENANT_LENGTH` becomes `#` and
 * its SHA-256 (encodeURIComponent always escapes `#`): the scope and the key share one index
 * entry, which PostgreSQL caps at 2704 bytes.
 */
export function encodeTenant(tenant: string): string {
  const encoded = tenant
    .split(LONE_SURROGATE)
    .map((part, i) =>
      i % 2 === 1 ? `%u${part.charCodeAt(0).toString(16).toUpperCase()}` : encodeURIComponent(part),
    )
    .join('');
  if (encoded.length <= MAX_ENCODED_TENANT_LENGTH) return encoded;
  return `#${createHash('sha256').update(encoded).digest('hex')}`;
}
