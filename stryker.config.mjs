// Mutation testing of lib/ (`npm run test:mutation`; see MUTATION.md). Each mutant of the
// library is run against the `lib` Jest project (unit, integration and race tests on a real
// PostgreSQL), limited to the tests that cover it.
// The Fastify capture runs only under Fastify: its mutants run against the `lib-fastify` project
// instead (MUTATION_PROJECT=lib-fastify, a pass of its own in scripts/test-mutation.mjs).
const FASTIFY = ['lib/http/fastify-exchange.ts', 'lib/http/fastify-captures.ts'];
const onFastify = process.env.MUTATION_PROJECT === 'lib-fastify';
const reports = onFastify ? 'reports/mutation/fastify' : 'reports/mutation';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: onFastify
    ? FASTIFY
    : [
        'lib/**/*.ts',
        ...FASTIFY.map((file) => `!${file}`),
        // The store contract suite that lib/testing exports: test code, whose mutants only a
        // test of the tests could kill.
        '!lib/testing/describe-idempotency-store.ts',
      ],
  testRunner: 'jest',
  // Jest runs in ESM mode, as `npm test` runs it.
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.mutation.config.js',
    enableFindRelatedTests: false,
  },
  // Only the tests that cover a mutant run against it.
  coverageAnalysis: 'perTest',
  // A mutant the compiler rejects is not run.
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.build.json',
  // A second run re-tests only the mutants of changed code, or those whose tests changed.
  incremental: true,
  incrementalFile: `${reports}/stryker-incremental.json`,
  // 2 cores: one Jest per core.
  concurrency: 2,
  // Integration tests start Nest apps and create a database per file, and StrykerJS's budget
  // (1.5 x the tests' own time + this) leaves out loading them: at 10 s, mutants were reported
  // "timeout" (counted as detected) without hanging. Generous, on a busy machine.
  timeoutMS: 30000,
  // A static mutant (a module-level constant) runs against the whole project, longer than any
  // budget StrykerJS gives it: each came out "timeout" without hanging. The SQL texts among them
  // have the SQL mutants instead; `-- --ignoreStatic false` runs them (with `--timeoutMS 120000`).
  ignoreStatic: true,
  // The event recorder writes each mutant's result as it comes: an interrupted run keeps them.
  reporters: ['clear-text', 'progress', 'html', 'json', 'event-recorder'],
  eventReporter: { baseDir: `${reports}/events` },
  htmlReporter: { fileName: `${reports}/index.html` },
  jsonReporter: { fileName: `${reports}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false },
  thresholds: { high: 90, low: 80, break: null },
  // What the lib project's tests never read; the sandbox copies the rest.
  ignorePatterns: [
    '/.data',
    '/.bench-data',
    '/.soak-data',
    '/bench',
    '/soak',
    '/sample-app',
    '/dist',
    '/reports',
    '/test/sample-app',
    '/test/chaos',
    '/test/package',
    '/test/pooler',
    '/.mutation-test-names',
  ],
  tempDirName: '.stryker-tmp',
};
