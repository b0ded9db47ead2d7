import { encodeTenant, MAX_ENCODED_TENANT_LENGTH } from '../../lib/key/encode-tenant.js';
import { tenantScope } from '../../lib/index.js';

describe('encodeTenant', () => {
  it.each([
    ['an ASCII tenant', 'acme', 'acme'],
    ['a "|"', 'a|b', 'a%7Cb'],
    ['U+0000', 'a\u0000', 'a%00'],
    ['a lone surrogate', 'a\ud800', 'a%uD800'],
    ['a lone low surrogate next to a pair', '\udc00\u{1f511}', '%uDC00%F0%9F%94%91'],
    ['a tenant spelling "%uD800"', '%uD800', '%25uD800'],
  ])('percent-encodes %s', (_, tenant, encoded) => {
    expect(encodeTenant(tenant)).toBe(encoded);
  });

  it('digests a tenant whose form would be longer than the limit, behind a "#"', () => {
    const long = encodeTenant('\u00e9'.repeat(100));
    expect(long).toMatch(/^#[0-9a-f]{64}$/);
    expect(encodeTenant('\u00e9'.repeat(101))).not.toBe(long);
    const atLimit = 'a'.repeat(MAX_ENCODED_TENANT_LENGTH);
    expect(encodeTenant(atLimit)).toBe(atLimit);
  });
});

// The README documents the stored scope: operators type it into inspect() and evict().
describe('tenantScope', () => {
  it.each<[string | undefined, string]>([
    ['acme', 'acme|POST /payments'],
    ['a|b c', 'a%7Cb%20c|POST /payments'],
    [undefined, '|POST /payments'],
    ['', '|POST /payments'],
  ])('stores tenant %p under %p', (tenant, scope) => {
    expect(tenantScope(tenant, 'POST /payments')).toBe(scope);
  });
});
