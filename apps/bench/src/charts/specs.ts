/**
 * Vega-Lite specifications of the bench's charts, built from measured samples. Pure: rendering is in
 * render.ts, so what a chart shows is unit-tested without a renderer.
 */

/** Which group a latency series belongs to (its colour in the chart). */
export type SeriesKind = 'independent floor' | 'hub floor' | 'SDK through the hub';

/** One round-trip series and its samples in ms. */
export interface LatencySeries {
  name: string;
  kind: SeriesKind;
  samples: readonly number[];
}

/** A count of devices that grew over time (see {@link cumulative}), `t` in seconds from the phase's start. */
export interface TimelineSeries {
  phase: string;
  metric: 'connected' | 'answered' | 'confirmed';
  points: ReadonlyArray<{ t: number; devices: number }>;
}

/** A Vega-Lite spec (kept loose: the compiler validates it). */
export type VegaLiteSpec = Record<string, unknown>;

const KIND_ORDER: readonly SeriesKind[] = ['independent floor', 'hub floor', 'SDK through the hub'];

/**
 * Box plots of every round-trip series on a log time axis (whiskers min to max, box p25–p75, tick at the
 * median), one row each, coloured by kind, so the SDK series sit visibly above the floors they are built on.
 */
export function latencySpec(title: string, series: readonly LatencySeries[]): VegaLiteSpec {
  const values = series.flatMap((s) => s.samples.map((ms) => ({ series: s.name, kind: s.kind, ms })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 640,
    height: { step: 26 },
    data: { values },
    mark: { type: 'boxplot', extent: 'min-max', size: 16 },
    encoding: {
      y: {
        field: 'series',
        type: 'nominal',
        sort: series.map((s) => s.name),
        title: null,
        axis: { labelLimit: 320 },
      },
      x: {
        field: 'ms',
        type: 'quantitative',
        scale: { type: 'log' },
        title: 'round trip, ms (log scale)',
      },
      color: { field: 'kind', type: 'nominal', scale: { domain: [...KIND_ORDER] }, title: null },
    },
    config: { legend: { orient: 'bottom' } },
  };
}

/**
 * Step lines of devices connected, answered and confirmed over time, one panel per phase (connect,
 * fan-out, job), so how long each phase took and where it stalled can be seen at a glance.
 */
export function timelineSpec(title: string, series: readonly TimelineSeries[]): VegaLiteSpec {
  const values = series.flatMap((s) => s.points.map((p) => ({ phase: s.phase, metric: s.metric, ...p })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: {
      column: {
        field: 'phase',
        type: 'nominal',
        sort: [...new Set(series.map((s) => s.phase))],
        title: null,
      },
    },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 300,
      height: 220,
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds from the phase start' },
        y: { field: 'devices', type: 'quantitative', title: 'devices' },
        color: {
          field: 'metric',
          type: 'nominal',
          scale: { domain: ['connected', 'answered', 'confirmed'] },
          title: null,
        },
      },
    },
    config: { legend: { orient: 'bottom' } },
  };
}

/**
 * The running count after each event, thinned to at most `maxPoints` (the last point always kept, and
 * the origin added), so a 10,000-device timeline stays a small SVG.
 */
export function cumulative(
  eventsMs: readonly number[],
  maxPoints = 400,
): Array<{ t: number; devices: number }> {
  const sorted = [...eventsMs].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(sorted.length / maxPoints));
  const points = [{ t: 0, devices: 0 }];
  for (let i = step - 1; i < sorted.length; i += step)
    points.push({ t: (sorted[i] as number) / 1000, devices: i + 1 });
  const last = sorted.length;
  if (last > 0 && points[points.length - 1]?.devices !== last) {
    points.push({ t: (sorted[last - 1] as number) / 1000, devices: last });
  }
  return points;
}
