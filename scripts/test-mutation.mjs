// `npm run test:mutation`: StrykerJS over lib/ (stryker.config.mjs) against the `lib` Jest
// project, then over the Fastify capture against `lib-fastify`, then the SQL mutants
// (scripts/sql-mutants.mjs), all on the one PostgreSQL that scripts/with-postgres.mjs started.
//   npm run test:mutation                      # all; incremental: a second run re-tests what changed
//   npm run test:mutation -- --mutate lib/core/claimed-operation.ts   # Stryker's options (the
//                                              # Fastify pass is then left out)
//   npm run test:mutation -- --sql-only | --no-sql
// Long (see MUTATION.md), and not part of CI.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const sqlOnly = args.includes('--sql-only');
const noSql = args.includes('--no-sql');
const strykerArgs = args.filter((arg) => arg !== '--sql-only' && arg !== '--no-sql');
// The property tests' job here is to reach the code, which 100 cases per property do; `npm test`
// still runs 1,000 (the HTTP property file alone takes 24 s at 1,000, for every mutant it covers).
process.env.FAST_CHECK_RUNS ??= '100';

function run(what, command, commandArgs) {
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { cwd: ROOT, stdio: 'inherit', env: process.env });
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log(`${what}: exit ${result.status ?? result.signal}, ${minutes} min`);
  return result.status === 0;
}

const started = Date.now();
let ok = true;
const stryker = (what, project) => {
  process.env.MUTATION_PROJECT = project;
  const cli = `${ROOT}node_modules/@stryker-mutator/core/bin/stryker.js`;
  return run(what, process.execPath, [cli, 'run', ...strykerArgs]);
};
if (!sqlOnly) {
  ok = stryker('StrykerJS, lib/ on the lib project', 'lib');
  if (!strykerArgs.includes('--mutate') && !strykerArgs.includes('-m')) {
    ok = stryker('StrykerJS, the Fastify capture on the lib-fastify project', 'lib-fastify') && ok;
  }
}
if (!noSql) ok = run('SQL mutants', process.execPath, [`${ROOT}scripts/sql-mutants.mjs`]) && ok;
console.log(`Mutation testing: ${((Date.now() - started) / 60000).toFixed(1)} min in all`);
process.exit(ok ? 0 : 1);
