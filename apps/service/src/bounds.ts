import type { PollControl } from '@iothub-reboot/twin-poller';
import type { Logger } from 'pino';

/** A single twin read or query round is abandoned (and retried) after this long. */
const READ_TIMEOUT_MS = 10_000;

/** The settings that say how long the app waits for a device. */
export interface WaitSettings {
  methodName: string;
  payload: unknown;
  responseTimeoutSeconds: number;
  connectTimeoutSeconds: number;
  pollIntervalMs: number;
  maxPolls: number;
  /** A scheduled reboot's delay: the polls it spans are added, so `maxPolls` counts from the planned time. */
  delaySeconds?: number;
}

/** The direct-method call as `invokeDeviceMethod` and `scheduleDeviceMethod` take it. */
export interface MethodParams {
  methodName: string;
  payload: unknown;
  responseTimeoutInSeconds: number;
  connectTimeoutInSeconds: number;
}

/** {@link MethodParams} from the app's settings. */
export function methodParams(settings: WaitSettings): MethodParams {
  return {
    methodName: settings.methodName,
    payload: settings.payload,
    responseTimeoutInSeconds: settings.responseTimeoutSeconds,
    connectTimeoutInSeconds: settings.connectTimeoutSeconds,
  };
}

/** `--max-polls`, plus the polls a scheduled reboot's delay spans. */
export function totalPolls(settings: WaitSettings): number {
  const delayMs = (settings.delaySeconds ?? 0) * 1000;
  return settings.maxPolls + Math.ceil(delayMs / Math.max(1, settings.pollIntervalMs));
}

/** The poller's bounds: `--max-polls` reads `--poll-interval` apart, each read itself bounded. */
export function pollBounds<T>(
  settings: WaitSettings,
  hooks: { signal: AbortSignal; logger: Logger },
): PollControl<T> {
  const maxAttempts = totalPolls(settings);
  return {
    intervalMs: settings.pollIntervalMs,
    maxAttempts,
    readTimeoutMs: READ_TIMEOUT_MS,
    // maxAttempts is the binding limit; the deadline only stops reads that keep timing out.
    timeoutMs: maxAttempts * (settings.pollIntervalMs + READ_TIMEOUT_MS),
    signal: hooks.signal,
    logger: hooks.logger,
  };
}
