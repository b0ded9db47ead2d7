// Global set-up of the pooler projects (see pooler-project.mjs): the run's PostgreSQL (the root
// global set-up, which does nothing when it already ran), then a PgBouncer in transaction mode in
// front of it, then the own global set-ups of the projects the pooler variants are made of.
// Tests reach PgBouncer through POOLER_URL; without pgbouncer on the machine POOLER_UNAVAILABLE
// says why, and the run says so at its start and after its summary.
import { pathToFileURL } from 'node:url';
import globalSetup from './global-setup.mjs';
import { findPgbouncer, startPgbouncer } from './pgbouncer.mjs';
import { baseGlobalSetups } from './pooler-project.mjs';

/** Server connections per database: fewer than the app pools hold, so they share them. */
const POOL_SIZE = 5;

export default async function poolerGlobalSetup(globalConfig, projectConfig) {
  await globalSetup(globalConfig, projectConfig);
  const binary = findPgbouncer();
  if (!binary) {
    process.env.POOLER_UNAVAILABLE =
      'pgbouncer is not installed (apt-get install pgbouncer): the suites did not run through a pooler';
    console.warn(`\n[pooler] ${process.env.POOLER_UNAVAILABLE}\n`);
    return; // the variants run only their marker test, which needs nothing more
  }
  const pooler = await startPgbouncer({
    binary,
    serverUrl: process.env.DATABASE_URL,
    poolSize: POOL_SIZE,
  });
  process.env.POOLER_URL = pooler.url;
  globalThis.__PGBOUNCER__ = pooler;
  for (const path of baseGlobalSetups()) {
    const { default: setup } = await import(pathToFileURL(path).href);
    await setup(globalConfig, projectConfig);
  }
}
