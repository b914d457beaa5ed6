// Jest reporter that records a package's pass/fail counts in .jest-results.json, so the root test
// command can print one closing "N passed, N failed" line for the whole monorepo (scripts/test-summary.mjs).
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

class JestResultsReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const counts = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      suites: results.numTotalTestSuites,
    };
    writeFileSync(join(this.rootDir, '.jest-results.json'), `${JSON.stringify(counts)}\n`);
  }
}

module.exports = JestResultsReporter;
