// Jest reporter of this repo. For the root test command it records a package's pass/fail counts in
// .jest-results.json (scripts/test-summary.mjs prints one closing line for the monorepo). For a run that
// must never hang it records the test in progress in .jest-progress.json (scripts/jest-run.mjs names it
// when a package overruns its budget), and it fails the run when the suites leave handles open: a server,
// socket or timer left behind keeps the process alive and, in CI, turns a green run into a silent stall.
const { writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

// Closed sockets and servers leave the list a few event-loop turns after their tests end.
const SETTLE_MS = 3000;
const POLL_MS = 50;
// Resource types that are the test runner's own, not the tests' (stdio, the event loop's signal watcher).
const IGNORED = new Set(['TTYWrap', 'PipeWrap', 'SignalWrap', 'ProcessWrap', 'StatWatcher']);

function resourceCounts() {
  const counts = new Map();
  for (const type of process.getActiveResourcesInfo()) {
    if (!IGNORED.has(type)) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

/** Types with more live resources now than at the start, with how many more. */
function extraOver(baseline) {
  const extra = new Map();
  for (const [type, count] of resourceCounts()) {
    const more = count - (baseline.get(type) ?? 0);
    if (more > 0) extra.set(type, more);
  }
  return extra;
}

const describeCounts = (counts) => [...counts].map(([type, n]) => `${type} ×${n}`).join(', ');

class JestResultsReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.inBand = globalConfig.maxWorkers <= 1;
    this.baseline = resourceCounts();
    this.afterFile = [];
    this.error = undefined;
  }

  onTestFileStart(test) {
    this.progress({ file: this.name(test.path) });
  }

  onTestCaseStart(test, testCase) {
    this.progress({ file: this.name(test.path), test: testCase.fullName });
  }

  onTestFileResult(test) {
    this.afterFile.push({ file: this.name(test.path), extra: extraOver(this.baseline) });
  }

  async onRunComplete(_contexts, results) {
    // Only tests run in this process can be seen; with workers each worker process is its own.
    if (this.inBand) await this.detectLeaks();
    const counts = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites + (this.error ? 1 : 0),
      skipped: results.numPendingTests + results.numTodoTests,
      suites: results.numTotalTestSuites,
      node: process.version,
      ...(this.error ? { leaked: this.error.message } : {}),
    };
    writeFileSync(join(this.rootDir, '.jest-results.json'), `${JSON.stringify(counts)}\n`);
  }

  getLastError() {
    return this.error;
  }

  async detectLeaks() {
    const giveUp = Date.now() + SETTLE_MS;
    let extra = extraOver(this.baseline);
    while (extra.size > 0 && Date.now() < giveUp) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      extra = extraOver(this.baseline);
    }
    if (extra.size === 0) return;
    const culprits = [...extra.keys()].map((type) => `${type} since ${this.firstLeaker(type)}`);
    this.error = new Error(
      `Leaked handles after the test suites: ${describeCounts(extra)} (${culprits.join('; ')})`,
    );
    process.stderr.write(`\n${this.error.message}\n`);
    // Nothing else will end a process those handles keep alive: exit once this run is reported.
    setTimeout(() => process.exit(1), 2000).unref();
  }

  /** The earliest test file after which `type` stayed above the start count. */
  firstLeaker(type) {
    let index = this.afterFile.length;
    while (index > 0 && (this.afterFile[index - 1].extra.get(type) ?? 0) > 0) index -= 1;
    return this.afterFile[index]?.file ?? 'an unknown test file';
  }

  name(path) {
    return relative(this.rootDir, path);
  }

  progress(state) {
    try {
      writeFileSync(join(this.rootDir, '.jest-progress.json'), `${JSON.stringify(state)}\n`);
    } catch {
      // Progress is a diagnosis aid; a read-only checkout must not fail the tests.
    }
  }
}

module.exports = JestResultsReporter;
