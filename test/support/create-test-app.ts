import { Logger, type INestApplication, type Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';

// Tests assert on responses, counts and rows, not on log lines: keep Nest quiet, including the
// warnings modules log while they are declared (several apps share one process here).
Logger.overrideLogger(false);

/** The HTTP adapters the library serves; the HTTP suites run on each. */
export type AdapterName = 'express' | 'fastify';

/**
 * The adapter of this run's apps: Express, or Fastify with `HTTP_ADAPTER=fastify` (which the
 * `lib-fastify` project sets), so that one suite proves the same behaviour on both.
 */
export const TEST_ADAPTER: AdapterName =
  process.env.HTTP_ADAPTER === 'fastify' ? 'fastify' : 'express';

/** How `createTestApp()` makes an app. */
export interface TestAppOptions {
  /** @default TEST_ADAPTER */
  adapter?: AdapterName;
  /** Called on the app before it starts, e.g. to add a global filter. */
  configure?: (app: INestApplication) => void;
}

/** A fixture app listening on a real socket on 127.0.0.1. */
export interface TestApp {
  app: INestApplication;
  url: string;
  /** A supertest client of the app (one connection per request). */
  http(): ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * Compiles the fixture module, then creates, initialises and starts the app on a free port, on
 * the adapter asked for. Logging is off: tests assert on responses and counts, not on log lines.
 */
export async function createTestApp(
  module: Type<unknown>,
  { adapter = TEST_ADAPTER, configure }: TestAppOptions = {},
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication(
    adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(),
    { logger: false },
  );
  if (app.getHttpAdapter().getType() !== adapter) throw new Error(`not on ${adapter}`);
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return { app, url, http: () => request(url), close: () => app.close() };
}

/**
 * Creates several apps at once. If one fails to start, the others are closed before the error
 * is rethrown, so no pool or retry loop outlives the test file.
 */
export async function createTestApps(...modules: Type<unknown>[]): Promise<TestApp[]> {
  const results = await Promise.allSettled(modules.map((module) => createTestApp(module)));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed === undefined) {
    return results.map((result) => (result as PromiseFulfilledResult<TestApp>).value);
  }
  await Promise.all(
    results.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)),
  );
  throw failed.reason;
}
