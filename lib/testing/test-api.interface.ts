interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
}

/** The matchers the store suite uses; Jest's and Vitest's `expect` provide them. */
export interface StoreSuiteMatchers extends Matchers {
  not: Matchers;
}

/**
 * The parts of a test runner that `describeIdempotencyStore` uses. The globals of Jest, and of
 * Vitest with `globals: true`, have this shape, and so do the exports of `vitest` and
 * `@jest/globals`. Declared here so that the package needs no runner's types.
 * @example
 * import * as vitest from 'vitest';
 * describeIdempotencyStore('RedisIdempotencyStore', harness, vitest);
 */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void>): void;
  beforeEach(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
  expect(actual: unknown): StoreSuiteMatchers;
}
