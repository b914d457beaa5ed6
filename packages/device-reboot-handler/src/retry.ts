import { type Clock, sleep } from './clock';
import { OperationTimeoutError, RebootHandlerError, RetriesExhaustedError } from './errors';

/** Bounds for retrying an SDK operation. */
export interface RetrySettings {
  /** Attempts in total, including the first, counting failures other than throttling. */
  maxAttempts: number;
  /** Upper bound of the delay after the first failure; it doubles per failure. */
  initialDelayMs: number;
  /** Cap of the delay's upper bound. */
  maxDelayMs: number;
  /** Time allowed to each SDK call within an attempt. */
  callTimeoutMs: number;
  /**
   * Upper bound of the delay after the first throttled failure (the hub answered 429, see
   * {@link isThrottlingError}); it doubles per throttled failure. Throttled failures do not count against
   * `maxAttempts`: they are retried with this longer backoff until `deadlineMs`.
   */
  throttledInitialDelayMs: number;
  /** Cap of the throttled delay's upper bound. */
  throttledMaxDelayMs: number;
  /** No retry starts later than this after the first attempt began (bounds the throttled retries too). */
  deadlineMs: number;
}

/**
 * Worst case without throttling: 3 attempts × (getTwin + update, 4 s each) + 1.5 s of waits = 25.5 s; in
 * any case no retry starts after 18 s, so at most 18 s + one attempt (8 s) = 26 s: a report-then-respond
 * answer still fits the caller's default 30 s response timeout when the reboot action itself is quick.
 * A throttled answer comes at once or after at most one throttle window (IoT Hub's traffic shaping), so
 * under throttling alone the retries, waiting 0.5–1 s, 1–2 s, then 1.5–3 s, go on for up to 18 s (7 to 16
 * retries).
 * IoT Hub: "back off and retry" throttled operations ("IoT Hub quotas and throttling").
 */
export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 3,
  initialDelayMs: 500,
  maxDelayMs: 4_000,
  callTimeoutMs: 4_000,
  throttledInitialDelayMs: 1_000,
  throttledMaxDelayMs: 3_000,
  deadlineMs: 18_000,
};

/** Merges overrides into the defaults; throws {@link RebootHandlerError} on a nonsensical bound. */
export function resolveRetrySettings(overrides: Partial<RetrySettings> = {}): RetrySettings {
  const settings = { ...DEFAULT_RETRY, ...overrides };
  for (const [key, value] of Object.entries(settings)) {
    const min = key === 'maxAttempts' || key === 'callTimeoutMs' ? 1 : 0;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RebootHandlerError(`retry.${key} must be an integer >= ${min}, got ${String(value)}`);
    }
  }
  return settings;
}

/**
 * Delay before the next attempt after `failures` failures: exponential backoff with full jitter,
 * uniform in [0, min(maxDelayMs, initialDelayMs × 2^(failures-1))).
 */
export function backoffDelay(failures: number, settings: RetrySettings, random: () => number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** (failures - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Delay before the next attempt after `throttled` throttled failures in a row or not: exponential backoff
 * with equal jitter, uniform in [c/2, c) for c = min(throttledMaxDelayMs, throttledInitialDelayMs ×
 * 2^(throttled-1)). Unlike full jitter it never retries at once, so the throttle has time to refill.
 */
export function throttledBackoffDelay(
  throttled: number,
  settings: RetrySettings,
  random: () => number,
): number {
  const ceiling = Math.min(
    settings.throttledMaxDelayMs,
    settings.throttledInitialDelayMs * 2 ** (throttled - 1),
  );
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Whether `err` is the hub throttling the operation (429). azure-iothub and the device SDK's HTTP/AMQP
 * paths raise azure-iot-common's `ThrottlingError`; azure-iot-device-mqtt turns a twin answer with an
 * `errorCode` body into a plain `Error` carrying only the hub's message (mqtt_twin_client.js,
 * _onResponseMessage), so its text (IoT Hub's ThrottlingException / 429xxx codes) is all there is to go by.
 */
export function isThrottlingError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'ThrottlingError') return true;
  return /throttl|\b429\d{3}\b/i.test(err.message);
}

/**
 * Runs `start` and rejects with {@link OperationTimeoutError} if it has not settled after `ms`.
 * A late settlement of the abandoned operation is swallowed, never an unhandled rejection.
 */
export function withTimeout<T>(
  operation: string,
  ms: number,
  clock: Clock,
  start: () => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new OperationTimeoutError(operation, ms)), ms);
    const succeed = (value: T) => {
      clock.clearTimeout(timer);
      resolve(value);
    };
    const fail = (err: unknown) => {
      clock.clearTimeout(timer);
      reject(err);
    };
    // Started at once, not on a later microtask: one hop fewer on every report and answer.
    let started: Promise<T>;
    try {
      started = start();
    } catch (err) {
      // A synchronous throw fails the operation as a rejection would.
      fail(err);
      return;
    }
    Promise.resolve(started).then(succeed, fail);
  });
}

/** What {@link retryWithBackoff} needs besides the operation. */
export interface RetryOptions {
  settings: RetrySettings;
  clock: Clock;
  random: () => number;
  /** Called before each wait, e.g. to log the failure. */
  onRetry?: (err: unknown, failures: number, delayMs: number) => void;
}

/**
 * Runs `attempt` until it succeeds or `maxAttempts` failures other than throttling are reached, then rejects
 * with {@link RetriesExhaustedError} carrying the last failure. A throttled failure
 * ({@link isThrottlingError}) is retried after {@link throttledBackoffDelay} without counting; no retry
 * starts past `deadlineMs` after the first attempt. Bound each call inside `attempt` with {@link withTimeout}.
 */
export async function retryWithBackoff<T>(
  operation: string,
  attempt: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { settings, clock, random, onRetry } = options;
  const deadline = clock.now() + settings.deadlineMs;
  for (let attempts = 0, failures = 0, throttled = 0; ; ) {
    try {
      attempts += 1;
      return await attempt();
    } catch (err) {
      const isThrottled = isThrottlingError(err);
      if (isThrottled) throttled += 1;
      else failures += 1;
      if (failures >= settings.maxAttempts) throw new RetriesExhaustedError(operation, attempts, err);
      const delay = isThrottled
        ? throttledBackoffDelay(throttled, settings, random)
        : backoffDelay(failures, settings, random);
      if (clock.now() + delay > deadline) throw new RetriesExhaustedError(operation, attempts, err);
      onRetry?.(err, attempts, delay);
      await sleep(clock, delay);
    }
  }
}
