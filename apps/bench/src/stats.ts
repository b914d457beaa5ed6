/** Summary of a set of latency samples, in milliseconds. */
export interface Summary {
  count: number;
  min: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The `p`-th percentile (0–100) of `sorted` (ascending) by the nearest-rank method: the smallest sample
 * with at least p % of the samples at or below it. Nearest rank never invents a value between two samples.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('no samples');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be from 0 to 100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Count, extremes, mean and the percentiles the report shows. Throws on no samples or a non-finite one. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.some((s) => !Number.isFinite(s))) throw new RangeError('samples must be finite numbers');
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    min: percentile(sorted, 0),
    median: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
    mean: sorted.reduce((sum, s) => sum + s, 0) / sorted.length,
  };
}

/**
 * How many times slower a measured path is than the floor it is built on: `measured / sum(floors)`.
 * A direct method is an HTTPS request plus an MQTT round trip, so its floor is the sum of both.
 */
export function floorRatio(measured: number, floors: readonly number[]): number {
  const floor = floors.reduce((sum, f) => sum + f, 0);
  if (!(floor > 0) || !Number.isFinite(measured)) {
    throw new RangeError('the floor must be a positive time and the measured time finite');
  }
  return measured / floor;
}

/** Operations per second over a window of `elapsedMs`. */
export function perSecond(operations: number, elapsedMs: number): number {
  if (!(elapsedMs > 0)) throw new RangeError('elapsed time must be positive');
  return (operations * 1000) / elapsedMs;
}
