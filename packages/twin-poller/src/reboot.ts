import { type LastReboot, readLastRebootFromTwin } from '@iothub-reboot/contracts';
import {
  type ClockRule,
  checkConfirmCriteria,
  checkRebootConfirmed,
  type RebootConfirmation,
  type RebootConfirmed,
} from './confirm';
import { assertDeviceId } from './device-ids';
import { PollOptionsError, RebootFailedError } from './errors';
import { readLastRebootWithWriteTime } from './hub-clock';
import { type PollCheck, type PollControl, type PollResult, pollUntil } from './poll';

/** A reboot the twin reported, later than the request. */
export type RebootObserved = Extract<LastReboot, { reported: true }>;

/** Which reboot counts: one later than `requestedAt`, less a margin for the device's clock running behind. */
export interface RebootCriteria {
  /** When the reboot was requested (the service's clock). */
  requestedAt: Date;
  /** How far the device's clock may lag the service's, in ms. Default 5000. */
  clockSkewMs?: number | undefined;
}

/** The one call of `azure-iothub`'s `Registry` that {@link pollTwinUntilRebooted} needs. */
export interface TwinSource {
  getTwin(deviceId: string): Promise<{ responseBody: unknown }>;
}

/** Options of {@link pollTwinUntilRebooted}. */
export interface RebootPollOptions extends PollControl<LastReboot>, RebootCriteria {
  /**
   * The correlation id sent in the request (see `withCorrelationId`). A device that echoes it is
   * confirmed by it alone, and its `failed` report rejects with {@link RebootFailedError} at once.
   */
  correlationId?: string;
  /**
   * Whose clock decides that a reboot is new when the device does not echo the correlation id:
   * `device-clock` (default) compares the reported reboot time with `requestedAt`; `hub-clock` compares
   * when the hub wrote the report (`$metadata.$lastUpdated`), which a device clock minutes off cannot fool
   * (see {@link rebootWrittenAfter}); `auto` uses the hub clock, or the device clock for a twin without
   * `$metadata`.
   */
  confirmBy?: ClockRule | 'auto';
}

export const DEFAULT_CLOCK_SKEW_MS = 5000;

/**
 * The predicate "reboot reported after T": satisfied when the last reported reboot is later than
 * `requestedAt − clockSkewMs`. A reboot at or before that instant is an earlier one, not the one requested.
 */
export function checkRebootAfter(last: LastReboot, criteria: RebootCriteria): PollCheck<RebootObserved> {
  const threshold = rebootThreshold(criteria);
  if (!last.reported) return { done: false, reason: last.reason };
  if (last.rebootTime.getTime() > threshold) return { done: true, value: last };
  return {
    done: false,
    reason: `last reported reboot ${last.rebootTime.toISOString()} is not after ${new Date(threshold).toISOString()} (request time less the clock-skew margin)`,
  };
}

/** {@link checkRebootAfter} over a whole twin, e.g. for {@link pollQueryUntil}. */
export function rebootReportedAfter(criteria: RebootCriteria): (twin: unknown) => PollCheck<RebootObserved> {
  rebootThreshold(criteria);
  return (twin) => checkRebootAfter(readLastRebootFromTwin(twin), criteria);
}

/**
 * Polls `registry.getTwin(deviceId)` until the twin confirms the reboot: by the correlation id when the
 * device echoes it, else by the `confirmBy` clock rule (reported later than `requestedAt` less the
 * clock-skew margin). Resolves with the reboot and the rule that confirmed it (`confirmedBy`); rejects
 * with {@link RebootFailedError} when the device reports this request failed. Bounds, retries and errors
 * are those of {@link pollUntil}; the observation `onAttempt` and a timeout see is the `LastReboot`.
 * The SDK's getTwin cannot be cancelled: a read cut by the per-read timeout or an abort is abandoned,
 * not stopped.
 */
export async function pollTwinUntilRebooted(
  registry: TwinSource,
  deviceId: string,
  options: RebootPollOptions,
): Promise<PollResult<RebootConfirmed>> {
  assertDeviceId(deviceId);
  if (typeof options !== 'object' || options === null)
    throw new PollOptionsError('options must be an object');
  if (typeof registry?.getTwin !== 'function')
    throw new PollOptionsError('registry must have a getTwin method');
  const { requestedAt, clockSkewMs, logger, confirmBy = 'device-clock', correlationId, ...control } = options;
  if (confirmBy !== 'device-clock' && confirmBy !== 'hub-clock' && confirmBy !== 'auto') {
    throw new PollOptionsError("confirmBy must be 'device-clock', 'hub-clock' or 'auto'");
  }
  const fallback: ClockRule[] = confirmBy === 'auto' ? ['hub-clock', 'device-clock'] : [confirmBy];
  const criteria = { requestedAt, clockSkewMs, correlationId, fallback };
  checkConfirmCriteria(criteria);
  // The verdict needs the whole twin (state, $metadata); the observation stays the LastReboot summary.
  const verdicts = new WeakMap<object, PollCheck<RebootConfirmation>>();
  const result = await pollUntil({
    ...control,
    ...(logger ? { logger: logger.child({ deviceId }) } : {}),
    label: `a reboot of ${deviceId} after ${requestedAt.toISOString()}`,
    read: async () => {
      const twin = (await registry.getTwin(deviceId)).responseBody;
      const observation = readLastRebootWithWriteTime(twin);
      verdicts.set(observation, checkRebootConfirmed(twin, criteria));
      return observation;
    },
    check: (observation) =>
      verdicts.get(observation) ?? { done: false, reason: 'no verdict for this observation' },
  });
  const { value } = result;
  if (value.outcome === 'failed') {
    throw new RebootFailedError({
      deviceId,
      reason: value.reason,
      correlationId: value.correlationId,
      attempts: result.attempts,
      elapsedMs: result.elapsedMs,
    });
  }
  return { ...result, value };
}

/** `requestedAt − clockSkewMs` in ms; throws `PollOptionsError` on bad criteria. */
export function rebootThreshold(criteria: RebootCriteria): number {
  const { requestedAt, clockSkewMs = DEFAULT_CLOCK_SKEW_MS } = criteria ?? {};
  if (!(requestedAt instanceof Date) || Number.isNaN(requestedAt.getTime())) {
    throw new PollOptionsError('requestedAt must be a valid Date');
  }
  if (typeof clockSkewMs !== 'number' || !Number.isFinite(clockSkewMs) || clockSkewMs < 0) {
    throw new PollOptionsError('clockSkewMs must be a finite number ≥ 0');
  }
  return requestedAt.getTime() - clockSkewMs;
}
