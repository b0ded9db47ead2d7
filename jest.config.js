import { poolerProject } from './test/support/pooler-project.mjs';

/** Jest in ESM mode (run with NODE_OPTIONS=--experimental-vm-modules), TypeScript through SWC. */
const project = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
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
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};

export default {
  testTimeout: 60000,
  projects: [
    project,
    // The integration and sample-app suites again, through PgBouncer in transaction mode.
    poolerProject(project, {
      displayName: 'lib-pooler',
      testMatch: ['<rootDir>/test/{integration,race}/**/*.e2e-spec.ts'],
      // It cuts PostgreSQL off from the app's connections, which PgBouncer sits between: what
      // the app gets then is the database-outage part of issue 11, not the pooler part.
      testPathIgnorePatterns: ['/test/integration/store-unavailable\\.e2e-spec\\.ts$'],
    }),
    poolerProject(project, {
      displayName: 'sample-app-pooler',
      testMatch: ['<rootDir>/test/sample-app/**/*.e2e-spec.ts'],
      // It stops and starts a PostgreSQL of its own, which the shared pooler is not in front of.
      testPathIgnorePatterns: ['/test/sample-app/store-unavailable\\.e2e-spec\\.ts$'],
    }),
  ],
};
