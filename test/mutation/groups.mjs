// The groups of a mutation run (scripts/test-mutation.mjs, stryker.config.mjs). Each group is a
// StrykerJS run of its own, with its own report and incremental file under
// reports/mutation/<name>/: a run stopped halfway keeps every group it finished, and the next
// run re-tests only what is missing or changed. Together they mutate all of lib/, less the store
// contract suite that lib/testing exports (test code, whose mutants only a test of the tests
// could kill). The areas come first: the store, the core operation, the HTTP capture
// and replay.

/** The Fastify capture runs only under Fastify: its mutants run against `lib-fastify`. */
const FASTIFY = ['lib/http/fastify-exchange.ts', 'lib/http/fastify-captures.ts'];

/** @type {Array<{ name: string, project: 'lib' | 'lib-fastify', mutate: string[] }>} */
export const GROUPS = [
  { name: 'store', project: 'lib', mutate: ['lib/store/**/*.ts'] },
  {
    name: 'core',
    project: 'lib',
    mutate: ['lib/core/**/*.ts', 'lib/service/**/*.ts', 'lib/transaction/**/*.ts'],
  },
  { name: 'http', project: 'lib', mutate: ['lib/http/**/*.ts', ...FASTIFY.map((f) => `!${f}`)] },
  { name: 'http-fastify', project: 'lib-fastify', mutate: FASTIFY },
  { name: 'key', project: 'lib', mutate: ['lib/key/**/*.ts', 'lib/errors/**/*.ts', 'lib/*.ts'] },
  { name: 'module', project: 'lib', mutate: ['lib/module/**/*.ts'] },
  {
    name: 'ecosystem',
    project: 'lib',
    mutate: [
      'lib/swagger/**/*.ts',
      'lib/observability/**/*.ts',
      'lib/terminus/**/*.ts',
      'lib/testing/**/*.ts',
      '!lib/testing/describe-idempotency-store.ts',
    ],
  },
];

/** Where a group's reports and incremental file go. */
export function reportsOf(name) {
  return `reports/mutation/${name}`;
}
