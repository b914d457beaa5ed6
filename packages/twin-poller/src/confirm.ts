import { randomUUID } from 'node:crypto';
import { CorrelationIdSchema, readRebootStateFromTwin } from '@iothub-reboot/contracts';
import { PollOptionsError } from './errors';
import { checkWrittenAfter, lastUpdated, readLastRebootWithWriteTime } from './hub-clock';
import type { PollCheck } from './poll';
import { checkRebootAfter, type RebootCriteria, type RebootObserved, rebootThreshold } from './reboot';

/** Which rule confirmed a reboot. */
export type ConfirmationRule = 'correlation-id' | 'hub-clock' | 'device-clock';

/** The clock rules, for devices that do not echo the correlation id. */
export type ClockRule = Exclude<ConfirmationRule, 'correlation-id'>;

/** Which reboot counts, by correlation id first and by clocks for devices that do not echo it. */
export interface ConfirmCriteria extends RebootCriteria {
  /** The correlation id sent in the request's payload (see {@link withCorrelationId}). */
  correlationId?: string | undefined;
  /**
   * Clock rules tried in order for a device that does not echo the id; a rule that cannot judge (no
   * `$metadata` for the hub clock) passes to the next. Default `['hub-clock', 'device-clock']`.
   */
  fallback?: readonly ClockRule[];
}

/** A confirmed reboot, with the rule that confirmed it. */
export type RebootConfirmed = RebootObserved & {
  outcome: 'rebooted';
  confirmedBy: ConfirmationRule;
  /** When the hub wrote the report, if the twin's `$metadata` says. */
  writtenAt?: Date;
  correlationId?: string;
};

/** The device reported that this very request's reboot failed. */
export interface RebootReportedFailed {
  outcome: 'failed';
  /** The device's reason (masked for secrets by the reader). */
  reason: string;
  correlationId: string;
  startedAt?: Date;
}

/** How a device's reboot ended, as far as its twin tells. */
export type RebootConfirmation = RebootConfirmed | RebootReportedFailed;

const DEFAULT_FALLBACK: readonly ClockRule[] = ['hub-clock', 'device-clock'];

/**
 * The confirmation predicate over a whole twin. With a correlation id, a device that echoes it is judged
 * by it alone (exact, immune to clocks): `rebooted` confirms, `failed` ends the wait with
 * {@link RebootReportedFailed}, `rebooting` waits. A twin holding another request's correlation id waits
 * too, unless the hub wrote that id before the request (a device that stopped echoing ids). Otherwise
 * the clock rules of `fallback` decide. Never throws on any twin.
 */
export function checkRebootConfirmed(
  twin: unknown,
  criteria: ConfirmCriteria,
): PollCheck<RebootConfirmation> {
  const threshold = rebootThreshold(criteria);
  const last = readLastRebootWithWriteTime(twin);
  const { correlationId } = criteria;
  if (correlationId !== undefined) {
    const state = readRebootStateFromTwin(twin);
    if (state.known && state.correlationId === correlationId) {
      if (state.status === 'failed') {
        return {
          done: true,
          value: {
            outcome: 'failed',
            reason: state.reason ?? 'the device reported the reboot as failed',
            correlationId,
            ...(state.startedAt ? { startedAt: state.startedAt } : {}),
          },
        };
      }
      if (state.status === 'rebooting') {
        const since = state.startedAt ? ` since ${state.startedAt.toISOString()}` : '';
        const planned = state.scheduledFor ? `, planned for ${state.scheduledFor.toISOString()}` : '';
        return { done: false, reason: `the device reports rebooting${since}${planned}` };
      }
      const rebootTime = state.lastReboot ?? (last.reported ? last.rebootTime : undefined);
      if (rebootTime === undefined) {
        return { done: false, reason: 'the device reports rebooted without a reboot time' };
      }
      return {
        done: true,
        value: {
          outcome: 'rebooted',
          reported: true,
          rebootTime,
          source: state.lastReboot ? 'iothubDM.reboot.lastReboot' : (last as RebootObserved).source,
          confirmedBy: 'correlation-id',
          correlationId,
          ...(last.reported && last.writtenAt ? { writtenAt: last.writtenAt } : {}),
        },
      };
    }
    if (state.known && state.correlationId !== undefined) {
      const idWrittenAt = lastUpdated(twin, 'iothubDM.reboot.correlationId');
      if (idWrittenAt === undefined || idWrittenAt.getTime() > threshold) {
        return {
          done: false,
          reason: `the twin reports ${state.status} for another request (correlation id ${state.correlationId})`,
        };
      }
    }
  }
  let verdict: PollCheck<RebootObserved & { writtenAt?: Date }> | undefined;
  let usedRule: ClockRule | undefined;
  for (const rule of criteria.fallback ?? DEFAULT_FALLBACK) {
    if (rule === 'hub-clock') {
      if (last.reported && last.writtenAt === undefined) continue; // cannot judge: try the next rule
      verdict = checkWrittenAfter(last, criteria);
    } else {
      verdict = checkRebootAfter(last, criteria);
    }
    usedRule = rule;
    break;
  }
  if (verdict === undefined || usedRule === undefined) {
    return { done: false, reason: last.reported ? 'the twin has no $metadata to judge by' : last.reason };
  }
  if (!verdict.done) return verdict;
  return { done: true, value: { ...verdict.value, outcome: 'rebooted', confirmedBy: usedRule } };
}

/** {@link checkRebootConfirmed} as a predicate, e.g. for {@link pollQueryUntil}; checks the criteria once. */
export function rebootConfirmed(criteria: ConfirmCriteria): (twin: unknown) => PollCheck<RebootConfirmation> {
  checkConfirmCriteria(criteria);
  return (twin) => checkRebootConfirmed(twin, criteria);
}

/** Throws `PollOptionsError` on bad criteria. */
export function checkConfirmCriteria(criteria: ConfirmCriteria): void {
  rebootThreshold(criteria);
  const { correlationId, fallback } = criteria;
  if (correlationId !== undefined && !CorrelationIdSchema.safeParse(correlationId).success) {
    throw new PollOptionsError(
      'correlationId must be 1-128 letters, digits or . _ : + @ - (not starting with a symbol)',
    );
  }
  if (
    fallback !== undefined &&
    (!Array.isArray(fallback) || fallback.some((r) => r !== 'hub-clock' && r !== 'device-clock'))
  ) {
    throw new PollOptionsError("fallback must list 'hub-clock' and/or 'device-clock'");
  }
}

/** A fresh correlation id for one reboot request (or one fleet wave). */
export function newCorrelationId(): string {
  return `reboot-${randomUUID()}`;
}

/**
 * Puts a correlation id into a reboot method payload: absent or `null` becomes `{ correlationId }`; an
 * object gets one unless it already has one (kept, the caller chose it); a JSON string holding an object
 * (the tutorial's double-encoded style) stays a string with the id inside. Anything else cannot carry one
 * and is returned unchanged with `correlationId: undefined` (confirmation then falls back to clocks).
 */
export function withCorrelationId(
  payload: unknown,
  correlationId: string = newCorrelationId(),
): { payload: unknown; correlationId: string | undefined } {
  if (payload === undefined || payload === null) return { payload: { correlationId }, correlationId };
  if (typeof payload === 'string') {
    let decoded: unknown;
    try {
      decoded = JSON.parse(payload);
    } catch {
      return { payload, correlationId: undefined };
    }
    if (!isPlainObject(decoded)) return { payload, correlationId: undefined };
    const inner = withCorrelationId(decoded, correlationId);
    return { payload: JSON.stringify(inner.payload), correlationId: inner.correlationId };
  }
  if (!isPlainObject(payload)) return { payload, correlationId: undefined };
  if (typeof payload.correlationId === 'string') return { payload, correlationId: payload.correlationId };
  if (payload.correlationId !== undefined) return { payload, correlationId: undefined };
  return { payload: { ...payload, correlationId }, correlationId };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
