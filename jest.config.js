/**
 * Jest in ESM mode (run with NODE_OPTIONS=--experimental-vm-modules), TypeScript through SWC.
 * One project per suite, so that one can run alone: `npm test -- --selectProjects lib`.
 */
const BUILD_SAMPLE_APP = '<rootDir>/test/support/build-sample-app.mjs';

/**
 * A project: the tests that `testMatch` finds under test/ (less those `skip` matches), with what
 * every project shares.
 */
function project(displayName, testMatch, { skip = [], ...options } = {}) {
  return {
    displayName,
    testEnvironment: 'node',
    roots: ['<rootDir>/test'],
    testMatch,
    // The package tests' template apps are whole apps of their own, not tests of this repo.
    testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package/templates/', ...skip],
    modulePathIgnorePatterns: ['<rootDir>/test/package/templates/'],
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: {
              legacyDecorator: true,
              decoratorMetadata: true,
              useDefineForClassFields: false,
            },
            target: 'es2022',
          },
          module: { type: 'es6' },
        },
      ],
    },
    ...options,
  };
}

export default {
  projects: [
    project('lib', ['<rootDir>/test/{unit,integration,race}/**/*.{spec,e2e-spec}.ts']),
    // The library's HTTP suites again, on Fastify: the same files, their apps made by
    // createTestApp() with a FastifyAdapter. Left out: what never goes through HTTP (the store,
    // IdempotencyService, start-up checks) and the file that runs both adapters side by side.
    project(
      'lib-fastify',
      [
        '<rootDir>/test/{integration,race}/**/*.e2e-spec.ts',
        '<rootDir>/test/unit/idempotency.interceptor.spec.ts',
      ],
      {
        setupFiles: ['<rootDir>/test/support/on-fastify.ts'],
        skip: [
          '/test/integration/(postgres-store|idempotency-service|transactional-startup|both-adapters)\\.',
        ],
      },
    ),
    // These drive build/sample-app/main.js in child processes; Jest runs a project's global
    // setup only when one of its tests runs, so the library's tests never compile the app.
    project('sample-app', ['<rootDir>/test/sample-app/**/*.e2e-spec.ts'], {
      globalSetup: BUILD_SAMPLE_APP,
    }),
    project('chaos', ['<rootDir>/test/chaos/**/*.e2e-spec.ts'], { globalSetup: BUILD_SAMPLE_APP }),
    project('package', ['<rootDir>/test/package/**/*.e2e-spec.ts']),
  ],
  // One PostgreSQL for the whole run, whichever projects run (unless DATABASE_URL is set).
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 60000,
};
