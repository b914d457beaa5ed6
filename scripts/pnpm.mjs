#!/usr/bin/env node
// Runs the pnpm version pinned in package.json's "packageManager", so a bare machine with only
// Node.js and npm needs nothing else. npx caches the download; corepack is deliberately not used
// (on Node 20 it can fail on registry signature keys).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const match = /^pnpm@(\d+\.\d+\.\d+)$/.exec(packageManager ?? '');
if (!match) {
  process.stderr.write(`package.json "packageManager" must pin pnpm@x.y.z, got ${packageManager}\n`);
  process.exit(2);
}
const version = match[1];
const args = process.argv.slice(2);

// Use an installed pnpm of the same version when there is one; otherwise fetch it through npx.
const local = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' });
const [command, commandArgs] =
  local.status === 0 && local.stdout.trim() === version
    ? ['pnpm', args]
    : ['npx', ['--yes', `pnpm@${version}`, ...args]];

const result = spawnSync(command, commandArgs, {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
  env: { ...process.env, npm_config_update_notifier: 'false' },
});
if (result.error) {
  process.stderr.write(`could not run pnpm: ${result.error.message}\n`);
  process.exit(1);
}
process.exit(result.status ?? 1);
