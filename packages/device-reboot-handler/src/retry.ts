import { type Clock, sleep } from './clock';
import { OperationTimeoutError, RebootHandlerError, RetriesExhaustedError } from './errors';

/** Bounds for retrying an SDK operation. */
export interface RetrySettings {
  /** Attempts in total, including the first. */
  maxAttempts: number;
  /** Upper bound of the delay after the first failure; it doubles per failure. */
  initialDelayMs: number;
  /** Cap of the delay's upper bound. */
  maxDelayMs: number;
  /** Time allowed to each SDK call within an attempt. */
  callTimeoutMs: number;
}

/**
 * Worst case 3 attempts × (getTwin + update, 4 s each) + 1.5 s of waits = 25.5 s: a report-then-respond
 * answer still fits the caller's default 30 s response timeout when the reboot action itself is quick.
 */
export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 3,
  initialDelayMs: 500,
  maxDelayMs: 4_000,
  callTimeoutMs: 4_000,
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
    Promise.resolve()
      .then(start)
      .then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clock.clearTimeout(timer);
          reject(err);
        },
      );
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
 * Runs `attempt` until it succeeds or `maxAttempts` is reached, then rejects with
 * {@link RetriesExhaustedError} carrying the last failure. Bound each call inside `attempt` with
 * {@link withTimeout}.
 */
export async function retryWithBackoff<T>(
  operation: string,
  attempt: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { settings, clock, random, onRetry } = options;
  for (let failures = 0; ; ) {
    try {
      return await attempt();
    } catch (err) {
      failures += 1;
      if (failures >= settings.maxAttempts) throw new RetriesExhaustedError(operation, failures, err);
      const delay = backoffDelay(failures, settings, random);
      onRetry?.(err, failures, delay);
      await sleep(clock, delay);
    }
  }
}
