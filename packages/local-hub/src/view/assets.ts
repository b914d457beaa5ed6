import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * The view's static files: the page, and what scripts/build-view.mjs builds: the client bundle and the
 * licences of the packages bundled into it (shipped beside it and linked from every page).
 */
export interface ViewAssets {
  /** By URL path (`/`, `/assets/app.js`, …): content type and bytes. */
  files: ReadonlyMap<string, { type: string; body: Buffer }>;
}

// The same directory from src/view (tests) and dist/view (the built package): <package>/dist/view-assets.
export const ASSETS_DIR = resolve(__dirname, '..', '..', 'dist', 'view-assets');

/** The one page. It holds no data and no inline script, so the strict CSP applies to everything. */
const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Local IoT Hub</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

/** Error thrown when the bundle was never built: says which command builds it. */
export class ViewAssetsMissingError extends Error {
  override readonly name = 'ViewAssetsMissingError';
}

export async function loadViewAssets(dir = ASSETS_DIR): Promise<ViewAssets> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name));
    } catch (err) {
      throw new ViewAssetsMissingError(
        `The web view's client bundle is missing (${join(dir, name)}): build it with ` +
          '"pnpm --filter @iothub-reboot/local-hub build", or start the hub without the view.',
        { cause: err },
      );
    }
  };
  const [js, css, licences] = await Promise.all([read('app.js'), read('app.css'), read('licenses.txt')]);
  return {
    files: new Map([
      ['/', { type: 'text/html; charset=utf-8', body: Buffer.from(INDEX_HTML) }],
      ['/assets/app.js', { type: 'text/javascript; charset=utf-8', body: js }],
      ['/assets/app.css', { type: 'text/css; charset=utf-8', body: css }],
      ['/assets/licenses.txt', { type: 'text/plain; charset=utf-8', body: licences }],
    ]),
  };
}
