// Global set-up of the pooler projects (see pooler-project.mjs): the run's PostgreSQL (the same
// set-up as the other projects, which it leaves alone when it already ran), then a PgBouncer in
// transaction mode in front of it. Tests reach it through POOLER_URL; without pgbouncer on the
// machine, POOLER_UNAVAILABLE says why, and the run says so at its start and its end.
import globalSetup from './global-setup.mjs';
import { findPgbouncer, startPgbouncer } from './pgbouncer.mjs';

/** Server connections per database: fewer than the app pools hold, so they share them. */
const POOL_SIZE = 5;

export default async function poolerGlobalSetup(globalConfig, projectConfig) {
  await globalSetup(globalConfig, projectConfig);
  if (process.env.POOLER_URL || process.env.POOLER_UNAVAILABLE) return; // the other pooler project's run
  const binary = findPgbouncer();
  if (!binary) {
    process.env.POOLER_UNAVAILABLE =
      'pgbouncer is not installed (apt-get install pgbouncer): the suites did not run through a pooler';
    console.warn(`\n[pooler] ${process.env.POOLER_UNAVAILABLE}\n`);
    return;
  }
  const pooler = await startPgbouncer({
    binary,
    serverUrl: process.env.DATABASE_URL,
    poolSize: POOL_SIZE,
  });
  process.env.POOLER_URL = pooler.url;
  globalThis.__PGBOUNCER__ = pooler;
}
