// The test sequencer of mutation runs (jest.mutation.config.js). StrykerJS runs a mutant's tests
// by name (`testNamePattern`), which Jest applies inside each file: every other file would still
// be loaded, its NestJS and TypeORM imports included, to run nothing. This one drops the files
// that hold none of the named tests, from the names coverage-environment.cjs wrote in the first
// (dry) run. A file it knows nothing about runs, as Jest would run it.
// It also turns Jest's order round: Jest runs the slowest files first (to keep its workers busy
// to the end); a mutation run stops at the first failure, so the files that failed last come
// first (the neighbouring mutant is often killed by the same file), then the fastest.
'use strict';
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const { namesDirectory, RUN } = require('./coverage-environment.cjs');

class MutationTestSequencer extends Sequencer {
  constructor(options) {
    super(options);
    this.pattern = options.globalConfig?.testNamePattern;
    this.rootDir = options.globalConfig?.rootDir;
  }

  async sort(tests) {
    globalThis[RUN] = { failed: false }; // a new run: no failure yet (see bailOnFailure)
    const sorted = this.fastestFirst(await super.sort(tests));
    if (!this.pattern || !this.rootDir) return sorted;
    const directory = namesDirectory(this.rootDir);
    if (!existsSync(directory)) return sorted;
    const names = new Map();
    for (const file of readdirSync(directory)) {
      const { testPath, names: fileNames } = JSON.parse(
        readFileSync(join(directory, file), 'utf8'),
      );
      names.set(testPath, fileNames);
    }
    const pattern = new RegExp(this.pattern, 'i'); // as jest-circus matches it
    return sorted.filter((test) => {
      const fileNames = names.get(test.path);
      return fileNames === undefined || fileNames.some((name) => pattern.test(name));
    });
  }

  /** Failed last time first, then by the last run's duration (or size), shortest first. */
  fastestFirst(tests) {
    const cost = (test) => test.duration ?? test.context.hasteFS.getSize(test.path) ?? 0;
    return [...tests].sort((a, b) => {
      const failedA = this.hasFailed(a);
      if (failedA !== this.hasFailed(b)) return failedA ? -1 : 1;
      return cost(a) - cost(b);
    });
  }
}

module.exports = MutationTestSequencer;
