// The Jest environment of mutation runs (jest.mutation.config.js). StrykerJS wraps it with its own
// mixin, which counts the mutants a test reaches while that test runs (from `test_start` to
// `test_done`). Whatever runs outside that window it calls static, and runs every test of the
// suite against it. Here most of the library runs outside it: apps are built in `beforeAll` and
// closed in `afterAll`, and a response is settled after the test that sent it has seen it. So:
// - what a `beforeAll` or `afterAll` hook reaches is counted for every test of its describe block
//   (running any of them runs the hook);
// - what runs after a test ended, before the next one starts, is counted for that test;
// - what runs while the file loads (the module-level code of what it imports: a set of error
//   codes, a table of messages, a SQL text) is counted for every test of the file. Left static,
//   such a mutant would run only against files that load the module later, in a hook: a unit
//   test that kills it would never run against it, and it would be reported as a survivor.
// It also writes each file's test names, once, for test-sequencer.cjs, which runs only the files
// that hold a mutant's tests (Stryker passes just a test name pattern, so Jest would load every
// file). And against a mutant it stops at the first failed test, as Stryker itself would with a
// runner that can bail (it reads the first failure only; Jest's `bail` does not work the way
// Stryker calls Jest): the remaining tests are skipped, and the remaining files run nothing.
// Plain CommonJS: Stryker's Jest runner `require`s it.
'use strict';
const { mkdirSync, writeFileSync, existsSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { join } = require('node:path');
const { TestEnvironment } = require('jest-environment-node');

/** Where the test names go: one JSON file per test file, under the (sandbox's) root. */
const namesDirectory = (rootDir) => join(rootDir, '.mutation-test-names');

/** A test's name as Jest matches `testNamePattern` against it, and as Stryker names it. */
function fullName(test) {
  const names = [];
  for (let block = test; block && block.parent; block = block.parent) names.unshift(block.name);
  return names.join(' ');
}

/** Every test under a describe block, nested blocks included. */
function testsUnder(block, into = []) {
  for (const child of block.children ?? []) {
    if (child.type === 'test') into.push(child);
    else testsUnder(child, into);
  }
  return into;
}

const HOOK = '\u0000hook';
const FILE_LOAD = '\u0000file-load';

/** Set by Stryker while it runs the tests against a mutant (not in its dry run). */
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
/** This Jest run's state, shared by the files of the run (test-sequencer.cjs starts it). */
const RUN = Symbol.for('nestjs-idempotency.mutation-run');
const currentRun = () => (globalThis[RUN] ??= { failed: false });

/**
 * `currentTestId` on Stryker's shared context becomes an accessor: cleared at `test_done`, it
 * still answers the test that just ended, until the next file starts.
 */
function attributeLateWork(context) {
  if (context.__lateWorkAttributed) return context.__lateWorkAttributed;
  const state = { current: undefined, last: undefined };
  Object.defineProperty(context, 'currentTestId', {
    configurable: true,
    enumerable: true,
    get: () => state.current ?? state.last,
    set: (id) => {
      if (id === undefined && state.current !== HOOK && state.current !== FILE_LOAD) {
        state.last = state.current;
      }
      state.current = id;
    },
  });
  Object.defineProperty(context, '__lateWorkAttributed', { value: state });
  return state;
}

class MutationCoverageEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
    this.rootDir = config.projectConfig.rootDir;
  }

  /**
   * Before the test file loads: what its imports run is the file's, until `run_start`. The
   * instrumented code creates Stryker's coverage object at its first call: before the first file
   * of a worker has run any, it is created here, or what that file's imports ran would go to
   * "static" (ignored) instead of to its tests.
   */
  async setup() {
    await super.setup();
    const context = this.stryker;
    if (context && process.env[ACTIVE_MUTANT] === undefined) {
      context.mutantCoverage ??= { static: {}, perTest: {} };
      attributeLateWork(context).current = FILE_LOAD;
    }
  }

  /** Stryker's context: set on this global by its mixin, after this constructor ran. */
  get stryker() {
    const context = this.global.__stryker__;
    return context && typeof context === 'object' ? context : undefined;
  }

  async handleTestEvent(event, eventState) {
    if (process.env[ACTIVE_MUTANT] !== undefined) return this.bailOnFailure(event, eventState);
    if (event.name === 'run_start') {
      this.writeTestNames(eventState.rootDescribeBlock);
      const context = this.stryker;
      if (!context) return;
      const state = attributeLateWork(context);
      if (state.current === FILE_LOAD) state.current = undefined;
      state.last = undefined; // nothing of another file
      this.credit(context, FILE_LOAD, eventState.rootDescribeBlock);
      return;
    }
    const context = this.stryker;
    if (!context?.mutantCoverage) return; // not a run that collects coverage
    const state = attributeLateWork(context);
    if (
      event.name === 'hook_start' &&
      (event.hook.type === 'beforeAll' || event.hook.type === 'afterAll')
    ) {
      state.current = HOOK;
    } else if (
      (event.name === 'hook_success' || event.name === 'hook_failure') &&
      (event.hook.type === 'beforeAll' || event.hook.type === 'afterAll')
    ) {
      state.current = undefined;
      this.credit(context, HOOK, event.hook.parent);
    }
  }

  /** Counts what was reached under `marker` for every test under `block`. */
  credit(context, marker, block) {
    const perTest = context.mutantCoverage?.perTest;
    const reached = perTest?.[marker];
    if (!reached) return;
    delete perTest[marker];
    for (const test of testsUnder(block)) {
      const counts = (perTest[fullName(test)] ??= {});
      for (const [mutant, hits] of Object.entries(reached)) {
        counts[mutant] = (counts[mutant] ?? 0) + hits;
      }
    }
  }

  /**
   * After a failed test of this run, every later test is skipped, hooks and all. Only a test:
   * a failed `afterAll` (a pool closed under a late query) is no failure StrykerJS counts, and
   * skipping the rest after one reported mutants as survivors that later tests kill. (A failed
   * `beforeAll` fails the tests of its block, which count.)
   */
  bailOnFailure(event, eventState) {
    const run = currentRun();
    if (event.name === 'test_done' && event.test.errors.length > 0) run.failed = true;
    else if (run.failed && event.name === 'run_start') {
      for (const test of testsUnder(eventState.rootDescribeBlock)) test.mode = 'skip';
    } else if (run.failed && event.name === 'test_start') event.test.mode = 'skip';
  }

  /** Once per file and sandbox: the first run (Stryker's dry run) sees every test. */
  writeTestNames(root) {
    const directory = namesDirectory(this.rootDir);
    const file = join(directory, `${createHash('sha1').update(this.testPath).digest('hex')}.json`);
    if (existsSync(file)) return;
    mkdirSync(directory, { recursive: true });
    const names = testsUnder(root).map(fullName);
    writeFileSync(file, JSON.stringify({ testPath: this.testPath, names }));
  }
}

module.exports = MutationCoverageEnvironment;
module.exports.namesDirectory = namesDirectory;
module.exports.RUN = RUN;
