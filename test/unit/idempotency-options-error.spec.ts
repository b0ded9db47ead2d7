import { IdempotencyOptionsError } from '../../lib/index.js';

describe('IdempotencyOptionsError', () => {
  const circular: { self?: unknown } = {};
  circular.self = circular;

  it.each<[string, unknown, string]>([
    ['a string, quoted', '10 minutes', '"10 minutes"'],
    ['a number', 0, '0'],
    ['an object, as JSON', { ttl: 1 }, '{"ttl":1}'],
    ['a function, by kind', () => 1, 'a function'],
    ['undefined', undefined, 'undefined'],
    ['a symbol', Symbol('ttl'), 'Symbol(ttl)'],
    ['an object JSON cannot write', circular, '[object Object]'],
  ])('names the option, what it expects, and what it got: %s', (_, got, shown) => {
    const error = new IdempotencyOptionsError('ttl', 'a duration', got);
    expect(error.message).toBe(
      `Invalid IdempotencyModule option "ttl": expected a duration, got ${shown}.`,
    );
    expect(error.name).toBe('IdempotencyOptionsError');
  });
});
