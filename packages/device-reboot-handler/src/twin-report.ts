import { buildRebootReport, buildRebootStateReport, type RebootStateInput } from '@iothub-reboot/contracts';
import type { Logger } from 'pino';
import type { ReportableTwin, TwinClient } from './client';
import type { Clock } from './clock';
import { loggable, RebootHandlerError } from './errors';
import { type RetrySettings, retryWithBackoff, withTimeout } from './retry';

/** A reboot state to write under `iothubDM.reboot` (`rebooted` also writes `rebootTime`). */
export type TwinRebootState =
  | { status: 'rebooted'; rebootTime: Date; correlationId?: string | undefined; startedAt?: Date | undefined }
  // `rebooting` and `failed` are exactly what the contract builds a report from.
  | RebootStateInput;

/** Writes a reboot state to the twin's reported properties; rejects once retries are exhausted. */
export type ReportReboot = (state: TwinRebootState, logger: Logger) => Promise<void>;

/** What a twin reporter needs besides the client. */
export interface TwinReporterOptions {
  retry: RetrySettings;
  clock: Clock;
  random: () => number;
}

/**
 * A reporter over `client`. Each attempt gets the twin (once obtained it is reused: the SDK's twin
 * object outlives reconnects) and patches the reported properties, each call under its own timeout.
 * Reporting the same state twice is harmless, so a timed-out call that lands late does no harm.
 */
export function createTwinReporter(client: TwinClient, options: TwinReporterOptions): ReportReboot {
  const { retry, clock, random } = options;
  let twin: ReportableTwin | undefined;

  const attempt = async (patch: unknown): Promise<void> => {
    twin ??= await withTimeout('getTwin', retry.callTimeoutMs, clock, () => client.getTwin());
    const reported = twin.properties.reported;
    const { update } = reported;
    if (typeof update !== 'function') {
      throw new RebootHandlerError('the twin object has no properties.reported.update function');
    }
    await withTimeout(
      'reported properties update',
      retry.callTimeoutMs,
      clock,
      () =>
        new Promise<void>((resolve, reject) => {
          update.call(reported, patch, (err) => (err ? reject(err) : resolve()));
        }),
    );
  };

  return async (state, logger) => {
    const patch =
      state.status === 'rebooted'
        ? buildRebootReport(state.rebootTime, state)
        : buildRebootStateReport(state);
    await retryWithBackoff('twin reported-properties update', () => attempt(patch), {
      settings: retry,
      clock,
      random,
      onRetry: (err, failures, delayMs) =>
        logger.warn({ err: loggable(err), failures, delayMs }, 'Twin report failed; retrying'),
    });
    if ('rebootTime' in patch) {
      logger.info(
        { rebootTime: patch.rebootTime, correlationId: state.correlationId },
        'Device twin updated with latest rebootTime',
      );
    } else {
      logger.info(
        { status: state.status, correlationId: state.correlationId },
        'Device twin updated with reboot state',
      );
    }
  };
}
