// Bundles the web view's client (view-client/) into dist/view-assets: one JS and one CSS file, served by
// the hub itself with a strict CSP (no CDN, no network at run time, no inline script).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: { app: join(root, 'view-client/src/main.tsx') },
  outdir: join(root, 'dist/view-assets'),
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
