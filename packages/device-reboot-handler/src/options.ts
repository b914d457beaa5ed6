import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock';
import { type RetrySettings, resolveRetrySettings } from './retry';
import { silentLogger } from './silent-logger';
import { createMemoryRebootStore, type PendingRebootStore } from './store';

/** Options shared by {@link attachRebootHandler} and {@link reportPendingReboot}. */
export interface ReportingOptions {
  /** Where the pending-reboot record lives; default in memory (use a file store for real restarts). */
  store?: PendingRebootStore;
  /** Default: a silent pino logger. */
  logger?: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Uniform in [0, 1), for backoff jitter; default `Math.random`. */
  random?: () => number;
  /** Bounds of the twin-report retries; merged into {@link DEFAULT_RETRY}. */
  retry?: Partial<RetrySettings>;
  /** When this process started (a `rebooting` record older than this was ended by a restart); default the real process start. */
  processStartedAt?: Date;
}

/** {@link ReportingOptions} with every default applied. */
export type ResolvedReportingOptions = Required<Omit<ReportingOptions, 'retry'>> & { retry: RetrySettings };

/** Applies defaults; throws `RebootHandlerError` on invalid retry bounds. */
export function resolveReportingOptions(options: ReportingOptions): ResolvedReportingOptions {
  return {
    store: options.store ?? createMemoryRebootStore(),
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    retry: resolveRetrySettings(options.retry),
    processStartedAt: options.processStartedAt ?? new Date(performance.timeOrigin),
  };
}
