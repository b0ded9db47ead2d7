import fc from 'fast-check';
import { literalIdempotencyKey, parseIdempotencyKey } from '../../lib/key/parse-idempotency-key.js';
import { sfString } from '../support/json-arbitraries.js';
import { PROPERTY_RUNS, propertyTimeout } from '../support/property-runs.js';

const VALID_KEY = /^[\x21-\x7e]{1,128}$/;
const visibleAscii = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
  minLength: 1,
  maxLength: 128,
});
/** Mostly visible ASCII, with spaces, controls, quotes, backslashes and any other character. */
const anyRaw = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('a', 'Z', '0', '-', '"', '\\', ' ', '\t') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 140,
});
const isSfString = (key: string) => key.length >= 2 && key.startsWith('"') && key.endsWith('"');
const options = { numRuns: PROPERTY_RUNS };
const timeout = propertyTimeout(0.05);

describe('the key parser (properties)', () => {
  it(
    'gives either no key or 1 to maxLength characters of visible ASCII, from any input',
    () => {
      fc.assert(
        fc.property(anyRaw, (raw) => {
          for (const key of [parseIdempotencyKey(raw, 128), literalIdempotencyKey(raw, 128)]) {
            if (key !== undefined) expect(key).toMatch(VALID_KEY);
          }
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'reads the header "k" as k, for every valid key k',
    () => {
      fc.assert(
        fc.property(visibleAscii, (key) => {
          expect(parseIdempotencyKey(sfString(key), 128)).toBe(key);
          if (!isSfString(key)) expect(parseIdempotencyKey(key, 128)).toBe(key);
        }),
        options,
      );
    },
    timeout,
  );

  it(
    "takes a key function's value literally: valid keys as they are, quotes included",
    () => {
      fc.assert(
        fc.property(fc.oneof(visibleAscii, visibleAscii.map(sfString), anyRaw), (raw) => {
          const key = literalIdempotencyKey(raw, 128);
          expect(key).toBe(VALID_KEY.test(raw) ? raw : undefined);
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'accepts a header key again in its SF form, as the same key',
    () => {
      fc.assert(
        fc.property(anyRaw, (raw) => {
          const key = parseIdempotencyKey(raw, 128);
          if (key !== undefined) expect(parseIdempotencyKey(sfString(key), 128)).toBe(key);
        }),
        options,
      );
    },
    timeout,
  );
});
