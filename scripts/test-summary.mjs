#!/usr/bin/env node
// Sums the per-package jest counts written by jest-results-reporter.cjs into one closing line, naming the
// Node version the tests ran on. With TEST_SUMMARY_FILE set it also appends that run's totals there, and
// `--combine <file>` prints the totals of every run recorded in it (CI runs several Node lines).
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const line = (t) => `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;

if (process.argv[2] === '--combine') {
  const runs = readFileSync(process.argv[3], 'utf8').trim().split('\n').filter(Boolean).map(JSON.parse);
  const totals = { passed: 0, failed: 0, skipped: 0 };
  process.stdout.write('\nTest runs:\n');
  for (const run of runs) {
    process.stdout.write(
      `  Node ${run.node.padEnd(10)} ${String(run.packages).padStart(2)} packages  ${line(run)}\n`,
    );
    for (const key of Object.keys(totals)) totals[key] += run[key];
  }
  process.stdout.write(`tests: ${line(totals)}\n`);
  process.exit(totals.failed > 0 || runs.length === 0 ? 1 : 0);
}

const totals = { passed: 0, failed: 0, skipped: 0, suites: 0 };
const rows = [];
const versions = new Set();
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const file = join(root, group, name, '.jest-results.json');
    if (!existsSync(file)) continue;
    const counts = JSON.parse(readFileSync(file, 'utf8'));
    if (counts.node && counts.node !== process.version) continue; // a run on another Node line
    versions.add(counts.node ?? 'unknown');
    const leak = counts.leaked ? `  (${counts.leaked})` : '';
    rows.push(
      `  ${`${group}/${name}`.padEnd(36)} ${String(counts.passed).padStart(5)} passed ${counts.failed} failed${leak}`,
    );
    for (const key of Object.keys(totals)) totals[key] += counts[key] ?? 0;
  }
}
const node = [...versions].join(', ') || process.version;
process.stdout.write(`\nTest results by package (Node ${node}):\n${rows.join('\n')}\n`);
process.stdout.write(`tests: ${line(totals)}\n`);
if (process.env.TEST_SUMMARY_FILE) {
  appendFileSync(
    process.env.TEST_SUMMARY_FILE,
    `${JSON.stringify({ node, packages: rows.length, ...totals })}\n`,
  );
}
process.exit(totals.failed > 0 || rows.length === 0 ? 1 : 0);
