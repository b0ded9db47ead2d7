import { canonicalJson } from '../../lib/key/canonical-json.js';
import { fingerprintRequest } from '../../lib/key/fingerprint-request.js';

const base = { method: 'POST', url: '/orders?x=1', body: { a: 1, b: { c: [1, 2], d: 'e' } } };

describe('fingerprintRequest', () => {
  it('is a SHA-256 hex digest', () => {
    expect(fingerprintRequest(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['key order at every depth', { ...base, body: { b: { d: 'e', c: [1, 2] }, a: 1 } }],
    ['the method letter case', { ...base, method: 'post' }],
    ['an undefined property (absent from JSON)', { ...base, body: { ...base.body, z: undefined } }],
  ])('does not change with %s', (_, other) => {
    expect(fingerprintRequest(other)).toBe(fingerprintRequest(base));
  });

  it.each([
    ['the method', { ...base, method: 'PUT' }],
    ['the path', { ...base, url: '/orders/1?x=1' }],
    ['the query string', { ...base, url: '/orders?x=2' }],
    ['the query string removed', { ...base, url: '/orders' }],
    ['a body value', { ...base, body: { ...base.body, a: 2 } }],
    ['a value type (1 vs "1")', { ...base, body: { ...base.body, a: '1' } }],
    ['array order', { ...base, body: { ...base.body, b: { c: [2, 1], d: 'e' } } }],
    ['a null property', { ...base, body: { ...base.body, z: null } }],
    ['no body', { ...base, body: undefined }],
  ])('changes with %s', (_, other) => {
    expect(fingerprintRequest(other)).not.toBe(fingerprintRequest(base));
  });

  // Keys stored by an earlier version must still match their retries after an upgrade.
  it.each([
    [
      'a parsed body',
      { method: 'post', url: '/orders?x=1', body: { b: [1, { d: 'é', c: null }], a: 'x' } },
      '748a6f9756e11006dca4179c40babb2865e9cd75cc99002a53fe682d32fca0b9',
    ],
    [
      'a raw string body',
      { method: 'POST', url: '/orders', body: 'raw text' },
      'fb70c59a9ced4d00cd4ccbac68e7af750bb301f50424d3238a4bf80a859a5d30',
    ],
    [
      'a Buffer body',
      { method: 'POST', url: '/orders', body: Buffer.from([0, 1, 2, 255]) },
      '3fb41a2c32cc2e16dfe7a608df332e2eaf5bd0ae5d26ebee74c56b4634a38107',
    ],
    [
      'no body',
      { method: 'DELETE', url: '/orders/1', body: undefined },
      '97bb1035445df5ada52bf868ead6b1ef00b58e62d9aca91d58dfe80d633b597c',
    ],
    // An adapter may give a request without a body as null: the same request.
    [
      'a null body, as no body',
      { method: 'DELETE', url: '/orders/1', body: null },
      '97bb1035445df5ada52bf868ead6b1ef00b58e62d9aca91d58dfe80d633b597c',
    ],
  ])('gives the digest earlier versions stored, for %s', (_, input, digest) => {
    expect(fingerprintRequest(input)).toBe(digest);
  });

  it('does not let the URL and the body run into each other', () => {
    expect(fingerprintRequest({ method: 'POST', url: '/a', body: 'b' })).not.toBe(
      fingerprintRequest({ method: 'POST', url: '/a\nb', body: undefined }),
    );
  });

  it('compares raw string and Buffer bodies by their bytes, and apart from parsed JSON', () => {
    const text = '{"a":1}';
    expect(fingerprintRequest({ method: 'POST', url: '/', body: text })).toBe(
      fingerprintRequest({ method: 'POST', url: '/', body: text }),
    );
    expect(fingerprintRequest({ method: 'POST', url: '/', body: Buffer.from(text) })).not.toBe(
      fingerprintRequest({ method: 'POST', url: '/', body: text }),
    );
    expect(fingerprintRequest({ method: 'POST', url: '/', body: text })).not.toBe(
      fingerprintRequest({ method: 'POST', url: '/', body: { a: 1 } }),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: [{ y: 1, x: 2 }], a: null })).toBe('{"a":null,"b":[{"x":2,"y":1}]}');
  });

  it('writes what JSON cannot hold as tags that no JSON text starts with', () => {
    const date = new Date('2026-01-02T03:04:05.000Z');
    expect(canonicalJson({ at: date })).toBe(`{"at":!Date(${date.getTime()})}`);
    expect(canonicalJson([undefined, 1])).toBe('[!undefined,1]');
    expect(canonicalJson([NaN, Infinity, -Infinity, -0, 0, 10n])).toBe(
      '[!NaN,!Infinity,!-Infinity,!-0,0,!bigint(10)]',
    );
    expect(canonicalJson({ b: Buffer.from('hi'), m: new Map([[1, 'x']]), s: new Set([2]) })).toBe(
      '{"b":!Buffer("aGk="),"m":!Map[[1,"x"]],"s":!Set[2]}',
    );
  });

  it('writes symbols, functions, class instances and null-prototype objects as tagged texts', () => {
    class Money {
      constructor(readonly cents: number) {}
    }
    class Iso {
      toJSON() {
        return '2026-01-02';
      }
    }
    function charge() {}
    const bare = Object.assign(Object.create(null) as object, { b: 1, a: 2 });
    expect(canonicalJson([Symbol('x'), Symbol(), charge])).toBe(
      '[!symbol("x"),!symbol(null),!function("charge")]',
    );
    expect(canonicalJson([new Money(5), new Iso(), bare])).toBe(
      '[!object("Money"){"cents":5},!toJSON("Iso")"2026-01-02",{"a":2,"b":1}]',
    );
    const nameless = Object.create({}) as object;
    expect(canonicalJson(nameless)).toBe('!object("Object"){}');
    const constructorless = Object.create(Object.create(null) as object) as object;
    expect(canonicalJson(constructorless)).toBe('!object(null){}');
  });

  it('writes a lone surrogate escaped, so that UTF-8 keeps it apart from U+FFFD', () => {
    expect(canonicalJson({ '\ud800': '\udc00' })).toBe('{"\\ud800":"\\udc00"}');
  });

  it('keeps a raw string body with a lone surrogate apart from U+FFFD, and from its escaped text', () => {
    const of = (body: string) => fingerprintRequest({ method: 'POST', url: '/notes', body });
    expect(of('note \ud800')).not.toBe(of('note \ufffd'));
    expect(of('note \ud800')).not.toBe(of('"note \\ud800"'));
    expect(of('note \ud800')).not.toBe(of('memo \ud800'));
    // Lone in the middle, high or low, as at the end.
    expect(of('a \ud800 b')).not.toBe(of('a \ufffd b'));
    expect(of('a \udc00 b')).not.toBe(of('a \ufffd b'));
    expect(of('note \ud800')).toBe(of('note \ud800'));
  });

  it('writes a cycle as how far up it points, instead of looping', () => {
    const loop: unknown[] = [1];
    loop.push(loop);
    expect(canonicalJson({ loop })).toBe('{"loop":[1,!cycle(1)]}');
  });

  it('writes a value met twice, but not inside itself, in full each time: no cycle', () => {
    const shared = { id: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"id":1},"b":[{"id":1}]}');
  });

  it('writes 100,000 levels of nesting without a stack overflow', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(canonicalJson(deep)).toBe('['.repeat(100_000) + ']'.repeat(100_000));
  });
});
