import { fileURLToPath } from 'node:url';
import { lib, libFastify } from './jest.config.js';

/**
 * The `lib` project alone (or `lib-fastify`, with MUTATION_PROJECT=lib-fastify), as one flat
 * config: what StrykerJS runs against each mutant (stryker.config.mjs) and what the SQL mutants
 * run against (test/mutation/). Flat, because the Jest runner puts its coverage hooks in the
 * top-level test environment, not in a project's.
 */
const { displayName: _, ...project } =
  process.env.MUTATION_PROJECT === 'lib-fastify' ? libFastify : lib;
const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default {
  ...project,
  // Absolute paths: Stryker's Jest runner `require`s the environment from its own folder.
  testEnvironment: here('./test/mutation/coverage-environment.cjs'),
  testSequencer: here('./test/mutation/test-sequencer.cjs'),
  testRunner: here('./test/mutation/jest-circus-bail.cjs'),
  // One PostgreSQL for the whole run: scripts/with-postgres.mjs sets DATABASE_URL, and the
  // global set-up then starts nothing.
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 60000,
};
