// Mutation testing of lib/ (`npm run test:mutation`; see MUTATION.md), one group of files at a
// time (test/mutation/groups.mjs, MUTATION_GROUP): each mutant runs against the group's Jest
// project (`lib`: unit, integration and race tests on a real PostgreSQL; `lib-fastify` for the
// Fastify capture), limited to the tests that cover it.
import { GROUPS, reportsOf } from './test/mutation/groups.mjs';

const group = GROUPS.find(({ name }) => name === process.env.MUTATION_GROUP);
if (!group) {
  throw new Error(
    `MUTATION_GROUP must name a group of test/mutation/groups.mjs (${GROUPS.map((g) => g.name).join(', ')}): run it through npm run test:mutation`,
  );
}
// jest.mutation.config.js, in the test runner processes, reads it.
process.env.MUTATION_PROJECT = group.project;
const reports = reportsOf(group.name);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: group.mutate,
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
  // StrykerJS's budget for a mutant is timeoutFactor x the covering tests' own time (from the
  // dry run) + timeoutMS, and leaves out loading their files: here about 1.5 x their own time
  // (the dry run: net 24 s, overhead 36 s), for Nest apps and a database per file. At factor 1.5
  // a mutant reached by hundreds of tests (a module-level constant, such as a logger's name) was
  // reported "timeout", counted as detected, without hanging; at 3 it gets the time it needs. A
  // mutant that does hang is mostly reached by few tests, and waits little longer.
  timeoutFactor: 3,
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
