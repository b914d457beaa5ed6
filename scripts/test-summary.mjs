#!/usr/bin/env node
// Sums the per-package jest counts written by jest-results-reporter.cjs into one closing line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const totals = { passed: 0, failed: 0, skipped: 0, suites: 0 };
const rows = [];
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const file = join(root, group, name, '.jest-results.json');
    if (!existsSync(file)) continue;
    const counts = JSON.parse(readFileSync(file, 'utf8'));
    rows.push(`  ${`${group}/${name}`.padEnd(36)} ${String(counts.passed).padStart(5)} passed ${counts.failed} failed`);
    for (const key of Object.keys(totals)) totals[key] += counts[key] ?? 0;
  }
}
process.stdout.write(`\nTest results by package:\n${rows.join('\n')}\n`);
process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(totals.failed > 0 || rows.length === 0 ? 1 : 0);
