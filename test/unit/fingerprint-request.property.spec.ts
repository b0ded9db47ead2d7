import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { fingerprintRequest } from '../../lib/key/fingerprint-request.js';
import {
  anyBodyValue,
  anyJsonValue,
  jsonTwin,
  numberText,
  reformattedJson,
  shuffleKeys,
} from '../support/json-arbitraries.js';
import { PROPERTY_RUNS, propertyTimeout } from '../support/property-runs.js';

const fingerprint = (body: unknown) => fingerprintRequest({ method: 'POST', url: '/p', body });
const options = { numRuns: PROPERTY_RUNS };
const timeout = propertyTimeout(0.5);

describe('the fingerprint (properties)', () => {
  it(
    'is the same for JSON texts equal by meaning (key order, white space)',
    () => {
      fc.assert(
        fc.property(anyJsonValue, fc.integer(), (value, seed) => {
          const text = JSON.stringify(value);
          expect(fingerprint(JSON.parse(reformattedJson(value, seed)))).toBe(
            fingerprint(JSON.parse(text)),
          );
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'is the same for any value and a copy of it with its keys in another order',
    () => {
      fc.assert(
        fc.property(anyBodyValue, fc.integer(), (value, seed) => {
          expect(fingerprint(shuffleKeys(value, seed))).toBe(fingerprint(value));
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'differs for values that differ (NaN, -0, BigInt, dates, buffers, undefined in arrays...)',
    () => {
      fc.assert(
        fc.property(anyBodyValue, anyBodyValue, (a, b) => {
          fc.pre(!isDeepStrictEqual(a, b));
          expect(fingerprint(a)).not.toBe(fingerprint(b));
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'differs between a value and what JSON.stringify makes of it, unless they are equal',
    () => {
      fc.assert(
        fc.property(anyBodyValue, (value) => {
          const twin = jsonTwin(value);
          fc.pre(!isDeepStrictEqual(value, twin));
          expect(fingerprint(value)).not.toBe(fingerprint(twin));
        }),
        options,
      );
    },
    timeout,
  );

  it(
    'tells numbers apart by the value JSON.parse gives them (1e400 is Infinity, not null)',
    () => {
      fc.assert(
        fc.property(numberText, numberText, (a, b) => {
          const same = Object.is(JSON.parse(a), JSON.parse(b));
          const [fa, fb] = [fingerprint(JSON.parse(`[${a}]`)), fingerprint(JSON.parse(`[${b}]`))];
          expect(fa === fb).toBe(same);
        }),
        options,
      );
    },
    timeout,
  );

  it(
    // Depths up to 100,000 are an example in fingerprint-request.spec.ts; here, many depths.
    'handles any nesting depth, and tells depths apart',
    () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2_000 }), fc.boolean(), (depth, objects) => {
          const open = objects ? '{"a":' : '[';
          const close = objects ? '}' : ']';
          const text = (n: number) => `${open.repeat(n)}1${close.repeat(n)}`;
          expect(fingerprint(JSON.parse(text(depth)))).not.toBe(
            fingerprint(JSON.parse(text(depth + 1))),
          );
        }),
        options,
      );
    },
    timeout,
  );
});
