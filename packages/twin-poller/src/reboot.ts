import { type LastReboot, readLastRebootFromTwin } from '@iothub-reboot/contracts';
import { assertDeviceId } from './device-ids';
import { PollOptionsError } from './errors';
import { checkWrittenAfter, readLastRebootWithWriteTime } from './hub-clock';
import { type PollCheck, type PollControl, type PollResult, pollUntil } from './poll';

/** A reboot the twin reported, later than the request. */
export type RebootObserved = Extract<LastReboot, { reported: true }>;

/** Which reboot counts: one later than `requestedAt`, less a margin for the device's clock running behind. */
export interface RebootCriteria {
  /** When the reboot was requested (the service's clock). */
  requestedAt: Date;
  /** How far the device's clock may lag the service's, in ms. Default 5000. */
  clockSkewMs?: number;
}

/** The one call of `azure-iothub`'s `Registry` that {@link pollTwinUntilRebooted} needs. */
export interface TwinSource {
  getTwin(deviceId: string): Promise<{ responseBody: unknown }>;
}

/** Options of {@link pollTwinUntilRebooted}. */
export interface RebootPollOptions extends PollControl<LastReboot>, RebootCriteria {
  /**
   * Whose clock decides that a reboot is new: `device-clock` (default) compares the reported reboot time
   * with `requestedAt`; `hub-clock` compares when the hub wrote the report (`$metadata.$lastUpdated`),
   * which a device clock minutes off cannot fool (see {@link rebootWrittenAfter}).
   */
  confirmBy?: 'device-clock' | 'hub-clock';
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
 * Polls `registry.getTwin(deviceId)` until the twin reports a reboot later than `requestedAt` (less the
 * clock-skew margin); resolves with that reboot. Bounds, retries and errors are those of {@link pollUntil}.
 * The SDK's getTwin cannot be cancelled: a read cut by the per-read timeout or an abort is abandoned,
 * not stopped.
 */
export async function pollTwinUntilRebooted(
  registry: TwinSource,
  deviceId: string,
  options: RebootPollOptions,
): Promise<PollResult<RebootObserved>> {
  assertDeviceId(deviceId);
  if (typeof options !== 'object' || options === null)
    throw new PollOptionsError('options must be an object');
  if (typeof registry?.getTwin !== 'function')
    throw new PollOptionsError('registry must have a getTwin method');
  const { requestedAt, clockSkewMs, logger, confirmBy = 'device-clock', ...control } = options;
  if (confirmBy !== 'device-clock' && confirmBy !== 'hub-clock') {
    throw new PollOptionsError("confirmBy must be 'device-clock' or 'hub-clock'");
  }
  const criteria = { requestedAt, clockSkewMs };
  rebootThreshold(criteria);
  return pollUntil({
    ...control,
    ...(logger ? { logger: logger.child({ deviceId }) } : {}),
    label: `a reboot of ${deviceId} after ${requestedAt.toISOString()}`,
    read: async () => readLastRebootWithWriteTime((await registry.getTwin(deviceId)).responseBody),
    check: (last) =>
      confirmBy === 'hub-clock' ? checkWrittenAfter(last, criteria) : checkRebootAfter(last, criteria),
  });
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
