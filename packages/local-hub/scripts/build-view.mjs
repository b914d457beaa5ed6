// Bundles the web view's client (view-client/) into dist/view-assets: one JS and one CSS file, served by
// the hub itself with a strict CSP (no CDN, no network at run time, no inline script), and licenses.txt:
// the licence of every package bundled into them (Preact's MIT licence asks that its notice ship with
// every copy; its published files carry no licence comment for esbuild's `legalComments` to keep).
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/view-assets');
const result = await build({
  entryPoints: { app: join(root, 'view-client/src/main.tsx') },
  outdir,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  banner: { js: '/*! Licences of the bundled packages: /assets/licenses.txt */' },
  metafile: true,
  logLevel: 'warning',
});

// Every package directory an input came from (pnpm paths: …/node_modules/<name or @scope/name>/…).
const packageDirs = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const path = join(root, input);
  const marker = `${sep}node_modules${sep}`;
  const at = path.lastIndexOf(marker);
  if (at < 0) continue;
  const rest = path.slice(at + marker.length).split(sep);
  const name = rest[0]?.startsWith('@') ? rest.slice(0, 2) : rest.slice(0, 1);
  packageDirs.add(join(path.slice(0, at), 'node_modules', ...name));
}
const notices = [];
for (const dir of [...packageDirs].sort()) {
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const text = await readLicence(dir);
  if (!text) throw new Error(`build-view: ${pkg.name} is bundled but ships no LICENSE file to copy`);
  notices.push(`${pkg.name} ${pkg.version} (${pkg.license})\n\n${text.trim()}\n`);
}
await writeFile(
  join(outdir, 'licenses.txt'),
  `The local hub's web view bundles these packages into app.js:\n\n${notices.join('\n---\n\n')}`,
);

async function readLicence(dir) {
  for (const name of ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE']) {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch {}
  }
  return undefined;
}
