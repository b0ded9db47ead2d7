// `npm run test:mutation`: StrykerJS over lib/, one group of files after another
// (test/mutation/groups.mjs), then the SQL mutants (scripts/sql-mutants.mjs), all on the one
// PostgreSQL that scripts/with-postgres.mjs started; then the score of every group's last
// report (scripts/mutation-summary.mjs).
//   npm run test:mutation                         # all; incremental: a second run re-tests only
//                                                 # what changed, or what a stopped run left
//   npm run test:mutation -- --group store,core   # some groups (the SQL mutants too)
//   npm run test:mutation -- --no-sql | --sql-only
//   npm run test:mutation -- --group core --mutate lib/core/claimed-operation.ts
//                                                 # any other option goes to StrykerJS
// Long (see MUTATION.md), and not part of CI.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GROUPS } from '../test/mutation/groups.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const groupArg = args.indexOf('--group');
const groupNames = groupArg >= 0 ? args[groupArg + 1].split(',') : GROUPS.map(({ name }) => name);
const unknown = groupNames.filter((name) => !GROUPS.some((group) => group.name === name));
if (unknown.length > 0) {
  console.error(
    `Unknown group ${unknown.join(', ')}: ${GROUPS.map(({ name }) => name).join(', ')}`,
  );
  process.exit(2);
}
const strykerArgs = args.filter(
  (arg, i) =>
    !['--sql-only', '--no-sql', '--group'].includes(arg) && (groupArg < 0 || i !== groupArg + 1),
);
// The property tests' job here is to reach the code, which 100 cases per property do; `npm test`
// still runs 1,000 (the HTTP property file alone takes 24 s at 1,000, for every mutant it covers).
process.env.FAST_CHECK_RUNS ??= '100';

function run(what, command, commandArgs, env = {}) {
  const started = Date.now();
  const result = spawnSync(command, commandArgs, {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log(`${what}: exit ${result.status ?? result.signal}, ${minutes} min`);
  return result.status === 0;
}

const started = Date.now();
let ok = true;
if (!flag('--sql-only')) {
  const cli = `${ROOT}node_modules/@stryker-mutator/core/bin/stryker.js`;
  for (const group of GROUPS.filter(({ name }) => groupNames.includes(name))) {
    ok =
      run(`StrykerJS, group ${group.name}`, process.execPath, [cli, 'run', ...strykerArgs], {
        MUTATION_GROUP: group.name,
      }) && ok;
  }
}
if (!flag('--no-sql')) {
  ok = run('SQL mutants', process.execPath, [`${ROOT}scripts/sql-mutants.mjs`]) && ok;
}
if (!flag('--sql-only')) run('Score', process.execPath, [`${ROOT}scripts/mutation-summary.mjs`]);
console.log(`Mutation testing: ${((Date.now() - started) / 60000).toFixed(1)} min in all`);
process.exit(ok ? 0 : 1);
