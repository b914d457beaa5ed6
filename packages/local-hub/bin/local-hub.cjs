#!/usr/bin/env node
// Committed launcher: pnpm links bins at install, before the build has written dist/.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// In this repository's checkout (`pnpm local-hub`: the root links this bin through its devDependencies, and
// pnpm runs a bin without a `> script` banner on stdout, which a root script would print), build the hub
// first, as the other root commands do; the build writes to stderr only, so `CS=$(pnpm local-hub device
// show id)` captures just the string. A published copy has no tsconfig.build.json and skips this. So does
// a run inside a turbo task (TURBO_HASH: the repo's own tests), whose turbo built the hub first; a nested
// turbo build would rewrite dist/ under the tasks running beside it.
const repoBuild = join(__dirname, '..', '..', '..', 'scripts', 'build-quietly.mjs');
const inRepo = existsSync(join(__dirname, '..', 'tsconfig.build.json')) && existsSync(repoBuild);
if (inRepo && process.env.TURBO_HASH === undefined) {
  const build = spawnSync(process.execPath, [repoBuild, '--filter=@iothub-reboot/local-hub...'], {
    stdio: ['ignore', 2, 2],
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
require('../dist/cli/main.js');
