#!/usr/bin/env node
// Runs a package's jest suites within a time budget, so a hang is a red run with a reason in minutes
// instead of a silent stall until CI's own limit. On overrun it names the package and the test that was
// running (from .jest-progress.json, written by jest-results-reporter.cjs), stops jest and exits 1.
// In CI the suites also run in a random order with the seed printed (`--randomize --showSeed`), so an
// order dependency between tests shows up; rerun one order with `--seed=<n>`.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

const budgetSeconds = Number(process.env.TEST_PACKAGE_TIMEOUT_S ?? 900);
const cwd = process.cwd();
const progressFile = join(cwd, '.jest-progress.json');
const packageName = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')).name ?? basename(cwd);
const jestBin = join(
  dirname(createRequire(join(cwd, 'package.json')).resolve('jest/package.json')),
  'bin',
  'jest.js',
);

const args = process.argv.slice(2);
if (process.env.CI && !args.some((a) => a.startsWith('--seed') || a === '--randomize')) {
  args.push('--randomize', '--showSeed');
}
rmSync(progressFile, { force: true });

// Its own process group, so a timeout also stops whatever the tests spawned.
const child = spawn(process.execPath, [jestBin, ...args], { stdio: 'inherit', detached: true });
const stopGroup = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopGroup(signal));

const timer = setTimeout(() => {
  let running = 'no test had started';
  try {
    const { file, test } = JSON.parse(readFileSync(progressFile, 'utf8'));
    running = test ? `${file} › ${test}` : `${file} (before its first test)`;
  } catch {
    // No progress recorded.
  }
  process.stderr.write(
    `\n${packageName}: the tests ran over their ${budgetSeconds} s budget (TEST_PACKAGE_TIMEOUT_S) ` +
      `and were stopped. Running then: ${running}\n`,
  );
  stopGroup('SIGTERM');
  setTimeout(() => stopGroup('SIGKILL'), 5000).unref();
  process.exitCode = 1;
}, budgetSeconds * 1000);

child.on('exit', (code, signal) => {
  clearTimeout(timer);
  if (process.exitCode === undefined) process.exitCode = code ?? (signal ? 1 : 0);
});
