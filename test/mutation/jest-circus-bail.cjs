// The test runner of mutation runs (jest.mutation.config.js): jest-circus, except that against a
// mutant already killed in this Jest run (see bailOnFailure in coverage-environment.cjs) a test
// file is not even loaded, since it would run nothing: it is reported with one skipped entry (a
// file with no test at all would be a failed suite, which StrykerJS reads as a runtime error).
// Its name holds "jest-circus", which StrykerJS requires of a runner for per-test coverage.
'use strict';
const { createEmptyTestResult } = require('@jest/test-result');
const circus = require('jest-circus/runner').default;
const { RUN } = require('./coverage-environment.cjs');

const SKIPPED = 'not loaded: the mutant was killed by an earlier file';

module.exports = async function jestCircusBail(
  globalConfig,
  config,
  environment,
  runtime,
  testPath,
  ...rest
) {
  if (process.env.__STRYKER_ACTIVE_MUTANT__ !== undefined && globalThis[RUN]?.failed) {
    return {
      ...createEmptyTestResult(),
      testFilePath: testPath,
      numPendingTests: 1,
      testResults: [
        {
          ancestorTitles: [],
          duration: 0,
          failureDetails: [],
          failureMessages: [],
          fullName: SKIPPED,
          numPassingAsserts: 0,
          status: 'pending',
          title: SKIPPED,
        },
      ],
    };
  }
  return circus(globalConfig, config, environment, runtime, testPath, ...rest);
};
