/**
 * Jest in ESM mode (run with NODE_OPTIONS=--experimental-vm-modules), TypeScript through SWC.
 * One project per suite, so that one can run alone: `npm test -- --selectProjects lib`.
 */
const BUILD_SAMPLE_APP = '<rootDir>/test/support/build-sample-app.mjs';

/** A project: the tests that `testMatch` finds under test/, with what every project shares. */
function project(displayName, testMatch, options = {}) {
  return {
    displayName,
    testEnvironment: 'node',
    roots: ['<rootDir>/test'],
    testMatch,
    // The package tests' template apps are whole apps of their own, not tests of this repo.
    testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package/templates/'],
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
