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

/** The poller's bounds: `--max-polls` reads `--poll-interval` apart, each read itself bounded. */
export function pollBounds<T>(
  settings: WaitSettings,
  hooks: { signal: AbortSignal; logger: Logger },
): PollControl<T> {
  return {
    intervalMs: settings.pollIntervalMs,
    maxAttempts: settings.maxPolls,
    readTimeoutMs: READ_TIMEOUT_MS,
    // maxAttempts is the binding limit; the deadline only stops reads that keep timing out.
    timeoutMs: settings.maxPolls * (settings.pollIntervalMs + READ_TIMEOUT_MS),
    signal: hooks.signal,
    logger: hooks.logger,
  };
}
