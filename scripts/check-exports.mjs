#!/usr/bin/env node
// Checks that the package in the current directory is consumable by other projects: publint finds no
// problem in package.json/exports, and both `require()` and `import` of the package name resolve to the
// same public API with type declarations present. Run after `build`. (npm packs: pnpm may not be on PATH.)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publint } from 'publint';

const dir = process.cwd();
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const failures = [];

const { messages } = await publint({ pkgDir: dir, level: 'warning', strict: true, pack: 'npm' });
for (const m of messages) failures.push(`publint ${m.type} ${m.code} at ${m.path.join('.')}`);

// Every entry point of the exports map ('.', './testing', …), as a consumer would reach it.
const entries = Object.entries(pkg.exports ?? { '.': {} }).filter(([path]) => path !== './package.json');
const summaries = [];
for (const [path, target] of entries) {
  const specifier = path === '.' ? pkg.name : `${pkg.name}/${path.slice(2)}`;
  const types = target?.types;
  if (!types || !existsSync(join(dir, types)))
    failures.push(`${specifier}: missing type declarations: ${types}`);

  // Self-reference through the exports map resolves exactly as a consumer's import would.
  const keysVia = (code, inputType) => {
    const r = spawnSync(process.execPath, ['--input-type', inputType, '-e', code], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (r.status !== 0)
      failures.push(`${inputType} import of ${specifier} failed: ${r.stderr.trim().split('\n')[0]}`);
    return r.stdout.trim();
  };
  const cjs = keysVia(
    `console.log(Object.keys(require(${JSON.stringify(specifier)})).filter(k => k !== 'default' && k !== '__esModule').sort().join(','))`,
    'commonjs',
  );
  const esm = keysVia(
    `const m = await import(${JSON.stringify(specifier)}); console.log(Object.keys(m).filter(k => k !== 'default' && k !== 'module.exports' && k !== '__esModule').sort().join(','))`,
    'module',
  );
  if (cjs === '') failures.push(`${specifier} exports nothing`);
  if (cjs !== esm)
    failures.push(`${specifier}: CommonJS and ESM see different exports:\n  cjs: ${cjs}\n  esm: ${esm}`);
  summaries.push(`${path} ${cjs.split(',').length}`);
}

if (failures.length > 0) {
  process.stderr.write(`${pkg.name} is not consumable:\n- ${failures.join('\n- ')}\n`);
  process.exit(1);
}
process.stdout.write(
  `${pkg.name}: exports ok (publint clean; CommonJS and ESM agree: ${summaries.join(', ')})\n`,
);
