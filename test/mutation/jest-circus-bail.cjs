// The test runner of mutation runs (jest.mutation.config.js): jest-circus, except that against a
// mutant already killed in this Jest run (see bailOnFailure in coverage-environment.cjs) a test
// file is not even loaded, since it would run nothing: it is reported with no tests. Its name
// holds "jest-circus", which StrykerJS requires of a runner for per-test coverage.
'use strict';
const { createEmptyTestResult } = require('@jest/test-result');
const circus = require('jest-circus/runner').default;
const { RUN } = require('./coverage-environment.cjs');

module.exports = async function jestCircusBail(
  globalConfig,
  config,
  environment,
  runtime,
  testPath,
  ...rest
) {
  if (process.env.__STRYKER_ACTIVE_MUTANT__ !== undefined && globalThis[RUN]?.failed) {
    return { ...createEmptyTestResult(), testFilePath: testPath };
  }
  return circus(globalConfig, config, environment, runtime, testPath, ...rest);
};
