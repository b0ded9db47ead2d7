// PostgreSQL refuses U+0000 in `text` and `jsonb` (SQLSTATE 22021, 22P05), and `jsonb` refuses
// an unpaired surrogate (`"\ud800"`), which pg would otherwise turn into U+FFFD in `text`: stored,
// but not what the client sent.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether PostgreSQL can store the string as it is, in `text` and in `jsonb`. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** Why a string is refused, for a validation error's detail. */
export const UNSTORABLE_TEXT = 'U+0000 or an unpaired surrogate, which the database cannot store';
