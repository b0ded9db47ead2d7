import { Logger, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

// Tests assert on responses, counts and rows, not on log lines: keep Nest quiet, including the
// warnings modules log while they are declared (several apps share one process here).
Logger.overrideLogger(false);

/** A fixture app listening on a real socket on 127.0.0.1. */
export interface TestApp {
  app: INestApplication;
  url: string;
  /** A supertest client of the app (one connection per request). */
  http(): ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * Compiles the fixture module, then creates, initialises and starts the app on a free port.
 * Logging is off: tests assert on responses and counts, not on log lines.
 */
export async function createTestApp(module: Type<unknown>): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
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
