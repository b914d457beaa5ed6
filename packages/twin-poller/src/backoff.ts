/** Exponential backoff settings for transient errors. */
export interface BackoffOptions {
  /** Upper bound of the first retry's delay. */
  initialMs: number;
  /** Cap of the exponential growth. */
  maxMs: number;
}

/**
 * "Full jitter" backoff: a uniformly random delay in [0, min(maxMs, initialMs · 2^(failures−1))).
 * Spreading retries over the whole window keeps a throttled fleet of pollers from retrying in step.
 * @param failures consecutive transient failures so far (1 for the first).
 * @param random a number in [0, 1), e.g. `Math.random()`.
 */
export function fullJitterDelay(failures: number, backoff: BackoffOptions, random: number): number {
  // Past 2^30 the window is capped anyway; the bound avoids an infinite power.
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const window = Math.min(backoff.maxMs, backoff.initialMs * 2 ** exponent);
  const unit = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0;
  return Math.floor(window * unit);
}

/**
 * Parses an HTTP `Retry-After` value (RFC 9110: delay in seconds or an HTTP date) into milliseconds
 * from `nowMs`. A date in the past gives 0; anything unparseable gives undefined.
 */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const trimmed = String(text).trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only accept something that looks like a date: Date.parse alone would take "1.5" or "-3".
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
