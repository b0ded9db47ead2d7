/**
 * The syntax `parseIdempotencyKey()` accepts, as an ECMA-262 regular expression for an OpenAPI
 * `pattern`: 1 to `maxLength` visible ASCII characters, or the same key as an RFC 8941 sf-string
 * (`"abc"`, where only `\"` and `\\` are escapes). A raw value that starts and ends with `"` is
 * read as an sf-string, so the first branch excludes it.
 */
export function idempotencyKeyPattern(maxLength: number): string {
  const raw = `(?!".*"$)[\\x21-\\x7E]{1,${maxLength}}`;
  const quoted = `"(?:[\\x21\\x23-\\x5B\\x5D-\\x7E]|\\\\["\\\\]){1,${maxLength}}"`;
  return `^(?:${raw}|${quoted})$`;
}
