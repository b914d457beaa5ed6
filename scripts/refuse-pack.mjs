#!/usr/bin/env node
// The `prepack` of every private package (the apps, the repo root): `npm pack` / `pnpm pack` ignore
// "private": true (only publishing checks it), so without this a tarball of an app would be made, with
// `workspace:` dependencies no registry can resolve.
const name = process.env.npm_package_name ?? 'this package';
process.stderr.write(`${name}: private package: not for publishing\n`);
process.exit(1);
