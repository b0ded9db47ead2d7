// The pooler variant of a Jest project: the same tests, with every app connecting through a
// PgBouncer in transaction mode (pooler-global-setup.mjs). Without pgbouncer on the machine the
// variant runs only test/pooler/pgbouncer.pooler-spec.ts, which is then reported as skipped.
import { findPgbouncer } from './pgbouncer.mjs';

const MARKER = '<rootDir>/test/pooler/**/*.pooler-spec.ts';

/**
 * `project` again, named `displayName`, on `testMatch` (a subset of its tests) but for
 * `testPathIgnorePatterns` (tests that cannot go through the shared pooler).
 */
export function poolerProject(project, { displayName, testMatch, testPathIgnorePatterns = [] }) {
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
