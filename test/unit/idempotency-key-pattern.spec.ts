import { idempotencyKeyPattern } from '../../lib/key/idempotency-key-pattern.js';
import { parseIdempotencyKey } from '../../lib/key/parse-idempotency-key.js';

// The pattern documents the parser: for every input, the two must agree.
describe('idempotencyKeyPattern(), the key syntax as an OpenAPI pattern', () => {
  const matches = (maxLength: number, raw: string) =>
    new RegExp(idempotencyKeyPattern(maxLength)).test(raw);

  it.each([
    ['a plain key', 'order-42', true],
    ['the longest plain key', 'a'.repeat(128), true],
    ['one character too long', 'a'.repeat(129), false],
    ['an sf-string', '"order-42"', true],
    ['an sf-string of the longest key', `"${'a'.repeat(128)}"`, true],
    ['an sf-string of a key one too long', `"${'a'.repeat(129)}"`, false],
    ['an sf-string with escapes', '"a\\"b\\\\c"', true],
    ['an empty sf-string', '""', false],
    ['a lone quote', '"', true],
    ['an sf-string with a bare quote inside', '"a"b"', false],
    ['an sf-string with a space inside', '"a b"', false],
    ['an empty key', '', false],
    ['a space', 'a b', false],
    ['a non-ASCII character', 'caf\u00e9', false],
  ])('%s: %j is %s', (_what, raw, valid) => {
    expect(matches(128, raw)).toBe(valid);
    expect(parseIdempotencyKey(raw, 128) !== undefined).toBe(valid);
  });

  it('agrees with parseIdempotencyKey() on every string of up to 5 tricky characters', () => {
    const alphabet = ['a', '"', '\\', ' ', '~', '\x7f', '\u00e9', '!'];
    const disagreements: string[] = [];
    let strings = [''];
    for (let length = 0; length <= 5; length++) {
      for (const raw of strings) {
        if (matches(3, raw) !== (parseIdempotencyKey(raw, 3) !== undefined)) {
          disagreements.push(raw);
        }
      }
      strings = strings.flatMap((prefix) => alphabet.map((char) => prefix + char));
    }
    expect(disagreements).toEqual([]);
  });
});
