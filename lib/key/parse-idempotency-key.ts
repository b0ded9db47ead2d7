/** Visible ASCII, 0x21 to 0x7E: no space, no control characters, nothing outside ASCII. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Turns the header's raw value into the key that is stored, or `undefined` when it is
 * malformed. A Structured Field string (`"abc"`, RFC 8941) names the same key as `abc`.
 */
export function parseIdempotencyKey(raw: string, maxLength: number): string | undefined {
  const key = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? unquote(raw) : raw;
  return key === undefined ? undefined : literalIdempotencyKey(key, maxLength);
}

/**
 * A key taken as it is (from a key function, or `IdempotencyService.run()`): itself when it is
 * 1 to `maxLength` characters of visible ASCII, else `undefined`. Quotes are part of it.
 */
export function literalIdempotencyKey(key: string, maxLength: number): string | undefined {
  if (key.length === 0 || key.length > maxLength) return undefined;
  return VISIBLE_ASCII.test(key) ? key : undefined;
}

/** The content of an sf-string: only `\"` and `\\` are escapes, and no bare `"` may remain. */
function unquote(quoted: string): string | undefined {
  let out = '';
  for (let i = 1; i < quoted.length - 1; i++) {
    const char = quoted[i];
    if (char === '\\') {
      // The closing quote cannot be escaped: `"ab\"` is an unterminated string.
      const next = ++i < quoted.length - 1 ? quoted[i] : undefined;
      if (next !== '"' && next !== '\\') return undefined;
      out += next;
    } else if (char === '"') {
      return undefined;
    } else {
      out += char;
    }
  }
  return out;
}
