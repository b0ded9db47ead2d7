// The pooler variant of a Jest project: the same tests, with every app connecting through a
// PgBouncer in transaction mode (pooler-global-setup.mjs). Without pgbouncer on the machine the
// variant runs only test/pooler/pgbouncer.pooler-spec.ts, which is then reported as skipped.
import { fileURLToPath } from 'node:url';
import { findPgbouncer } from './pgbouncer.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MARKER = '<rootDir>/test/pooler/**/*.pooler-spec.ts';

/**
 * `project` again, named `displayName`, on `testMatch` (a subset of its tests) but for
 * `testPathIgnorePatterns` (tests that cannot go through the shared pooler). Its global set-up
 * is the pooler's, which also runs `project`'s own (see `baseGlobalSetups`).
 */
export function poolerProject(project, { displayName, testMatch, testPathIgnorePatterns = [] }) {
  if (project.globalSetup) baseGlobalSetups().add(project.globalSetup.replace('<rootDir>/', ROOT));
  return {
    ...project,
    displayName,
    testMatch: findPgbouncer() ? [MARKER, ...testMatch] : [MARKER],
    testPathIgnorePatterns: [
      ...(project.testPathIgnorePatterns ?? ['/node_modules/']),
      ...testPathIgnorePatterns,
    ],
    globalSetup: '<rootDir>/test/support/pooler-global-setup.mjs',
    globalTeardown: '<rootDir>/test/support/pooler-global-teardown.mjs',
    // Read by test/support/postgres.ts: apps connect through the pooler.
    globals: { ...project.globals, __THROUGH_PGBOUNCER__: true },
  };
}

/**
 * The global set-ups of the projects that pooler variants are made of (building the sample app,
 * say). Jest runs a global set-up file once however many projects name it, so the pooler's
 * cannot learn them from the one project config it is given; the config, loaded in the same
 * process, leaves them here.
 */
export function baseGlobalSetups() {
  return (globalThis.__POOLER_BASE_GLOBAL_SETUPS__ ??= new Set());
}
