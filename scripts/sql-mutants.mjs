// Runs the store suites against each SQL mutant of test/mutation/sql-mutants.mjs and reports
// which are killed. The mutants are applied in a sandbox (.stryker-tmp/sql-mutants: lib/, the
// tests and the configs copied, node_modules linked), never in the working tree, so an
// interrupted run leaves nothing to restore. Needs DATABASE_URL (scripts/with-postgres.mjs).
//   node scripts/sql-mutants.mjs [--only id,id]
// Exits non-zero if the suites fail unmutated or a mutant survives.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SQL_MUTANT_SUITES, SQL_MUTANTS } from '../test/mutation/sql-mutants.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SANDBOX = join(ROOT, '.stryker-tmp', 'sql-mutants');
const COPIED = [
  'package.json',
  'tsconfig.json',
  'jest.config.js',
  'jest.mutation.config.js',
  'lib',
  'migrations',
  'tools',
  'test',
];
// Not run here, and test/package's templates are whole apps of their own.
const LEFT_OUT = ['test/package', 'test/sample-app', 'test/chaos'].map((path) => join(ROOT, path));

if (!process.env.DATABASE_URL) {
  console.error('DATABASE_URL is not set: run through scripts/with-postgres.mjs');
  process.exit(2);
}
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? new Set(process.argv[onlyAt + 1].split(',')) : undefined;
const mutants = SQL_MUTANTS.filter((mutant) => !only || only.has(mutant.id));

/** The mutated text of `mutant.file`, or an error if the statement it names moved. */
function mutatedSource(mutant) {
  const source = readFileSync(join(ROOT, mutant.file), 'utf8');
  const anchor = source.indexOf(mutant.after);
  const at = anchor < 0 ? -1 : source.indexOf(mutant.original, anchor);
  if (at < 0) {
    throw new Error(
      `SQL mutant ${mutant.id}: "${mutant.original}" is not in ${mutant.file} after "${mutant.after}"; update test/mutation/sql-mutants.mjs`,
    );
  }
  return source.slice(0, at) + mutant.mutated + source.slice(at + mutant.original.length);
}

function makeSandbox() {
  rmSync(SANDBOX, { recursive: true, force: true });
  mkdirSync(SANDBOX, { recursive: true });
  for (const path of COPIED) {
    cpSync(join(ROOT, path), join(SANDBOX, path), {
      recursive: true,
      filter: (source) => !LEFT_OUT.some((out) => source === out || source.startsWith(out + '/')),
    });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(SANDBOX, 'node_modules'), 'dir');
}

/**
 * Runs the store suites in the sandbox, one Jest run per entry in their order (the contract suite
 * first: it kills most, fast), and stops at the first that fails. The failed tests' titles, or
 * why the run broke.
 */
function runSuites() {
  for (const suite of SQL_MUTANT_SUITES) {
    const outcome = runSuite(suite);
    if (outcome.failed.length > 0 || outcome.broken) return outcome;
  }
  return { failed: [] };
}

/** One entry of SQL_MUTANT_SUITES, stopping at its first failed file (`--bail`). */
function runSuite(suite) {
  const run = spawnSync(
    process.execPath,
    [
      '--experimental-vm-modules',
      join(ROOT, 'node_modules/jest/bin/jest.js'),
      '--config',
      'jest.mutation.config.js',
      '--bail',
      '--silent',
      '--ci',
      suite,
    ],
    {
      cwd: SANDBOX,
      encoding: 'utf8',
      env: { ...process.env, MUTATION_PROJECT: 'lib', FORCE_COLOR: '0' },
    },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  // Jest heads each failure with "● <describe> › <test>".
  const titles = [...output.matchAll(/^\s+● (.+)$/gm)].map(
    (match) => `${suite}: ${match[1].trim()}`,
  );
  const failed = titles.filter((title) => !title.endsWith(': Test suite failed to run'));
  if (run.status === 0) return { failed: [] };
  if (failed.length > 0) return { failed };
  return { failed: [], broken: `exit ${run.status ?? run.signal}: ${output.trim().slice(-400)}` };
}

const started = Date.now();
makeSandbox();
// Each mutant's text first: a stale entry fails at once, before any suite runs.
const texts = new Map(mutants.map((mutant) => [mutant.id, mutatedSource(mutant)]));

console.log(`SQL mutants: ${mutants.length}, against ${SQL_MUTANT_SUITES.join(' ')}`);
const baseline = runSuites();
if (baseline.failed.length > 0 || baseline.broken) {
  console.error('The store suites fail without any mutant, so no mutant can be judged:');
  console.error(baseline.broken ?? baseline.failed.join('\n'));
  process.exit(1);
}

const results = [];
for (const mutant of mutants) {
  const file = join(SANDBOX, mutant.file);
  const original = readFileSync(join(ROOT, mutant.file), 'utf8');
  writeFileSync(file, texts.get(mutant.id));
  const t0 = Date.now();
  let outcome;
  try {
    outcome = runSuites();
  } finally {
    writeFileSync(file, original);
  }
  const status =
    outcome.failed.length > 0 ? 'killed' : outcome.broken ? 'killed (suite error)' : 'SURVIVED';
  const by = outcome.failed[0] ?? outcome.broken ?? '';
  results.push({ ...mutant, status, by, seconds: Math.round((Date.now() - t0) / 1000) });
  console.log(`${status.padEnd(20)} ${mutant.id} (${Math.round((Date.now() - t0) / 1000)} s)`);
  if (by) console.log(`${''.padEnd(20)} by ${by}`);
}

const killed = results.filter((result) => result.status.startsWith('killed')).length;
console.log('');
console.log('| SQL mutant | invariant | result | first test that failed |');
console.log('| --- | --- | --- | --- |');
for (const result of results) {
  console.log(
    `| \`${result.id}\` | ${result.invariant} | ${result.status} | ${result.by.replaceAll('|', '\\|')} |`,
  );
}
console.log('');
console.log(
  `SQL mutants: ${killed} of ${results.length} killed (${results.length === 0 ? 100 : Math.round((100 * killed) / results.length)}%) in ${Math.round((Date.now() - started) / 1000)} s`,
);
process.exit(killed === results.length ? 0 : 1);
