// Stops the PgBouncer of pooler-global-setup.mjs, and the PostgreSQL behind it. Jest runs global
// teardowns after its summary, so a run without pgbouncer ends on the line that says so.
import globalTeardown from './global-teardown.mjs';

export default async function poolerGlobalTeardown() {
  await globalThis.__PGBOUNCER__?.stop();
  globalThis.__PGBOUNCER__ = undefined;
  await globalTeardown();
  if (process.env.POOLER_UNAVAILABLE)
    console.warn(`\n[pooler] ${process.env.POOLER_UNAVAILABLE}\n`);
}
