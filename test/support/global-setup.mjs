// Starts one throwaway embedded PostgreSQL for the whole run, unless DATABASE_URL points at one.
// Test files create their own databases on it (see postgres.ts). Plain JS because Jest loads
// global setup outside its ESM module system; it uses the helper that `npm test` compiles first
// (`npm run build:tools`: tools/ alone, not the sample app or the bench).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const helper = new URL('../../build/tools/embedded-postgres.js', import.meta.url);

export default async function globalSetup() {
  if (process.env.DATABASE_URL) return;
  if (!existsSync(helper))
    throw new Error('build/ is missing: run the tests with `npm test`, which builds first');
  const { startEmbeddedPostgres } = await import(helper.href);
  const database = await startEmbeddedPostgres({
    dir: mkdtempSync(join(tmpdir(), 'idempotency-test-pg-')),
    persistent: false,
    // Durability is not under test here: crash tests kill app processes, never PostgreSQL.
    flags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  process.env.DATABASE_URL = database.url;
  globalThis.__EMBEDDED_POSTGRES__ = database;
}
