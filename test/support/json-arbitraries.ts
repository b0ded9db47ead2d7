import fc from 'fast-check';

/** Any string, lone surrogates and U+0000 included. */
export const anyString = fc.string({ unit: 'binary', maxLength: 12 });

/** JSON values with any strings, lone surrogates included (JSON.stringify escapes them). */
export const anyJsonValue = fc.jsonValue({ stringUnit: 'binary', maxDepth: 4 });

/** Number texts JSON.parse accepts, some of which it cannot keep (1e400, -0, 2^53 + 1). */
export const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
  fc.constantFrom('1e400', '-1e400', '-0', '0', '-0.0', '1E2', '9007199254740993', '1.5e-400'),
);

/**
 * A value a body parser (or a caller of `IdempotencyService.run()`) could hand over, JSON's and
 * beyond: NaN, the infinities, -0, BigInt, dates, buffers, `undefined` in arrays, Map, Set.
 */
export const anyBodyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      anyString,
      fc.double(), // NaN, ±Infinity and -0 included
      fc.boolean(),
      fc.constant(null),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      fc.date({ noInvalidDate: false }),
      fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes)),
    ),
    fc.array(fc.oneof(tie('value'), fc.constant(undefined)), { maxLength: 4 }),
    fc.dictionary(anyString, tie('value'), { maxKeys: 4, noNullPrototype: true }),
    fc
      .array(fc.tuple(anyString, tie('value')), { maxLength: 3 })
      .map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
  ),
})).value;

/** What JSON.stringify makes of a value, parsed back: the look-alike a lossy fingerprint confuses. */
export function jsonTwin(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_, item: unknown) =>
      typeof item === 'bigint'
        ? Number(item)
        : item instanceof Map || item instanceof Set
          ? {}
          : item,
    ) ?? 'null',
  );
}

/** A copy with the keys of every object in another order, decided by `seed`. */
export function shuffleKeys(value: unknown, seed: number): unknown {
  const random = lcg(seed);
  const copy = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(copy);
    if (item instanceof Map) return new Map([...item].map(([key, entry]) => [key, copy(entry)]));
    if (item instanceof Set) return new Set([...item].map(copy));
    if (
      item === null ||
      typeof item !== 'object' ||
      Object.getPrototypeOf(item) !== Object.prototype
    )
      return item;
    const entries = Object.entries(item).sort(() => random() - 0.5);
    const out: Record<string, unknown> = {};
    for (const [key, entry] of entries) {
      Object.defineProperty(out, key, { value: copy(entry), enumerable: true, writable: true });
    }
    return out;
  };
  return copy(value);
}

/** JSON text of a JSON value with its keys in another order and white space here and there. */
export function reformattedJson(value: unknown, seed: number): string {
  const random = lcg(seed);
  const space = () => [' ', '\n', '\t', '\r\n', ''][Math.floor(random() * 5)];
  const write = (item: unknown): string => {
    if (Array.isArray(item)) return `[${space()}${item.map(write).join(`,${space()}`)}${space()}]`;
    if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item).sort(() => random() - 0.5);
      const fields = entries.map(
        ([key, entry]) => `${JSON.stringify(key)}${space()}:${write(entry)}`,
      );
      return `{${space()}${fields.join(`${space()},`)}${space()}}`;
    }
    return JSON.stringify(item);
  };
  return `${space()}${write(value)}${space()}`;
}

/** Escapes a key as a Structured Field string (`"a\"b"`). */
export function sfString(key: string): string {
  return `"${key.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

function lcg(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
