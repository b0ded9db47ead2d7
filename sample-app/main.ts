import 'reflect-metadata';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readConfig } from './app.config.js';
import { AppModule } from './app.module.js';
import { isDatabaseUnavailable } from './database/database-errors.js';
import { setupDocs } from './docs/setup-docs.js';
import type { EmbeddedDatabase } from '../tools/embedded-postgres.js';

/** The repository root: this file runs as `<root>/build/sample-app/main.js`. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const logger = new Logger('SampleApp');

let app: INestApplication | undefined;
let database: EmbeddedDatabase | undefined;
let stopping = false;
/** Where the database is, without credentials, for error messages. */
let databaseHost = 'DATABASE_URL';

async function main(): Promise<void> {
  takeOverSignals();
  const config = readConfig(process.env);
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    const { startLocalDatabase } = await import('./database/local-database.js');
    const dir = join(ROOT, '.data', 'postgres');
    logger.log(`DATABASE_URL is not set: starting the embedded PostgreSQL in ${dir}`);
    database = await startLocalDatabase(dir, (line) => logger.log(line));
    takeOverSignals(); // embedded-postgres, imported while starting, hooked the signals again
    databaseUrl = database.url;
    logger.log(`Embedded PostgreSQL ready: ${databaseUrl}`);
  }
  if (stopping) return;
  databaseHost = describeDatabase(databaseUrl);

  app = await NestFactory.create(
    AppModule.forRoot({
      databaseUrl,
      idempotencyTtlSeconds: config.idempotencyTtlSeconds,
      idempotencyLockTimeoutSeconds: config.idempotencyLockTimeoutSeconds,
      idempotencyPurgeIntervalSeconds: config.idempotencyPurgeIntervalSeconds,
      faults: config.faults,
    }),
    // bodyParser: false, HttpModule reads bodies (see JsonBodyMiddleware). abortOnError: false,
    // so a failed start-up lands in the catch below instead of process.abort().
    { bodyParser: false, abortOnError: false, logger: ['log', 'warn', 'error'] },
  );
  setupDocs(app);
  await app.listen(config.port, config.host);
  if (config.faults) logger.warn('SAMPLE_FAULTS=1: the X-Simulate header is honoured');
  console.log(`Sample app listening on ${await app.getUrl()}`);
}

/**
 * Graceful shutdown on SIGINT/SIGTERM/SIGHUP: close the app (HTTP server, then the database
 * pool), then stop the embedded PostgreSQL, then exit 0. embedded-postgres hooks these signals
 * itself to stop its servers and exit at once, before the app is closed; its handlers are
 * replaced by this one (its 'exit' hook stays, as a safety net).
 */
function takeOverSignals(): void {
  for (const signal of SIGNALS) {
    process.removeAllListeners(signal);
    process.on(signal, () => void shutdown(signal));
  }
}

async function shutdown(reason: string, code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.log(`${reason}: shutting down`);
  try {
    await app?.close();
  } catch (error) {
    logger.error(`Closing the app failed: ${(error as Error).message}`);
    code ||= 1;
  }
  try {
    await database?.stop();
  } catch (error) {
    logger.error(`Stopping the embedded PostgreSQL failed: ${(error as Error).message}`);
    code ||= 1;
  }
  process.exit(code);
}

function describeDatabase(url: string): string {
  try {
    const { hostname, port, pathname } = new URL(url);
    return `${hostname}:${port || 5432}${pathname}`;
  } catch {
    return 'DATABASE_URL (not a valid URL)';
  }
}

main().catch(async (error: Error) => {
  const cause = isDatabaseUnavailable(error)
    ? ` (cannot reach the database at ${databaseHost})`
    : '';
  logger.error(`Start-up failed${cause}: ${error.message}`, error.stack);
  await shutdown('Start-up failed', 1);
});
