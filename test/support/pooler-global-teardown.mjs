// Stops the PgBouncer of pooler-global-setup.mjs (the root global teardown stops PostgreSQL).
// Jest runs global teardowns after its summary, so a run without pgbouncer ends on the line
// that says so.
export default async function poolerGlobalTeardown() {
  await globalThis.__PGBOUNCER__?.stop();
  globalThis.__PGBOUNCER__ = undefined;
  if (process.env.POOLER_UNAVAILABLE)
    console.warn(`\n[pooler] ${process.env.POOLER_UNAVAILABLE}\n`);
}
