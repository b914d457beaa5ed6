import type { VegaLiteSpec } from './specs';

/**
 * Renders a Vega-Lite spec to SVG in Node, without a browser or canvas (vega's headless `View.toSVG`).
 * vega is an ES module with top-level await, so it is imported, not required.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
