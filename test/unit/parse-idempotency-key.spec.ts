import { literalIdempotencyKey, parseIdempotencyKey } from '../../lib/key/parse-idempotency-key.js';

const VISIBLE_ASCII = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) =>
  String.fromCharCode(0x21 + i),
).join('');

describe('parseIdempotencyKey', () => {
  it.each([
    ['a single character', '!', '!'],
    ['every visible ASCII character', VISIBLE_ASCII, VISIBLE_ASCII],
    ['a UUID', '8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['exactly maxLength characters', 'k'.repeat(128), 'k'.repeat(128)],
    ['an SF string', '"abc"', 'abc'],
    ['an SF string with an escaped quote', '"a\\"b"', 'a"b'],
    ['an SF string with an escaped backslash', '"a\\\\b"', 'a\\b'],
    [
      'an SF string of maxLength characters (quotes not counted)',
      `"${'k'.repeat(128)}"`,
      'k'.repeat(128),
    ],
    ['a lone quote (not an SF string)', '"', '"'],
    ['a quote at one end only', '"abc', '"abc'],
  ])('accepts %s', (_, raw, expected) => {
    expect(parseIdempotencyKey(raw, 128)).toBe(expected);
  });

  it.each([
    ['an empty key', ''],
    ['one character over maxLength', 'k'.repeat(129)],
    ['a space', 'a b'],
    ['a leading space', ' a'],
    ['a tab', 'a\tb'],
    ['a newline', 'a\nb'],
    ['DEL (0x7F)', 'a\x7fb'],
    ['NUL', 'a\x00b'],
    ['a Latin-1 character', 'caf\u00e9'],
    ['an emoji', 'key-\u{1f511}'],
    ['an empty SF string', '""'],
    ['an SF string with a bare quote inside', '"a"b"'],
    ['an SF string with an unknown escape', '"a\\nb"'],
    ['an SF string ending in a lone backslash', '"ab\\"'],
    ['an SF string with a space', '"a b"'],
    ['an SF string over maxLength', `"${'k'.repeat(129)}"`],
  ])('rejects %s', (_, raw) => {
    expect(parseIdempotencyKey(raw, 128)).toBeUndefined();
  });

  it('applies the given maxLength', () => {
    expect(parseIdempotencyKey('12345678', 8)).toBe('12345678');
    expect(parseIdempotencyKey('123456789', 8)).toBeUndefined();
  });
});

describe('literalIdempotencyKey', () => {
  it.each([
    ['a bare key', 'abc'],
    ['quotes, which stay part of the key', '"abc"'],
    ['an escape, which stays two characters', '"a\\"b"'],
    ['a quote inside', '"a"b"'],
  ])('takes %s as it is', (_, key) => {
    expect(literalIdempotencyKey(key, 128)).toBe(key);
  });

  it.each([
    ['an empty key', ''],
    ['a space', 'a b'],
    ['NUL', 'a\x00b'],
    ['a lone surrogate', 'a\ud800'],
    ['one character over maxLength', 'k'.repeat(129)],
  ])('rejects %s', (_, key) => {
    expect(literalIdempotencyKey(key, 128)).toBeUndefined();
  });
});
