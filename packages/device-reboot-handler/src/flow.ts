import type { ParseResult, PendingReboot, RebootRequest, RebootResponse } from '@iothub-reboot/contracts';
import { errorMessage } from './errors';

/**
 * The decision logic of one reboot request, free of I/O: which step runs next and what to answer.
 * The handler interprets the steps; every branch of the requirement is a transition here.
 */

/**
 * `report-then-respond` (default): reboot, report, then answer 200 with the reboot time.
 * `respond-then-reboot`: answer 202 as soon as the request is accepted, then reboot and report
 * (for reboots that outlast the caller's timeout, and for real restarts).
 */
export type ResponseMode = 'report-then-respond' | 'respond-then-reboot';

/** The response modes, for validation and docs. */
export const RESPONSE_MODES: readonly ResponseMode[] = ['report-then-respond', 'respond-then-reboot'];

/** Whether a new request may start a reboot, or the answer it gets instead. */
export type Admission = { start: true; request: RebootRequest } | { start: false; response: RebootResponse };

/** Admits a request: a bad payload gets 400, and while a reboot or report runs, 409. */
export function admitRequest(busy: boolean, parsed: ParseResult<RebootRequest>): Admission {
  if (!parsed.success)
    return { start: false, response: { result: 'bad-request', error: parsed.error.message } };
  if (busy) {
    return {
      start: false,
      response: { result: 'busy', error: 'A reboot is already in progress; no second reboot was started.' },
    };
  }
  return { start: true, request: parsed.data };
}

/** Where an accepted request stands. */
export type FlowStep =
  /**
   * Write the `rebooting` record (before anything irreversible happens). `scheduledFor`: the request
   * asked for a delay (`delaySeconds`); such a request is always answered 202 at once, whatever the mode.
   */
  | { step: 'persist'; scheduledFor?: Date }
  /** Run the reboot action. */
  | { step: 'reboot' }
  /**
   * respond-then-reboot only: report `rebooting` in the twin (after the record is durable, before the
   * action), so the service sees progress. Its failure does not stop the accepted reboot.
   */
  | { step: 'announce'; scheduledFor?: Date }
  /** A scheduled reboot: wait until its planned time (cut short, and failed, by detach). */
  | { step: 'wait'; until: Date }
  /** The action failed: report `failed` in the twin, so a waiting service stops at once. */
  | { step: 'report-failure'; error: unknown }
  /** Update the record with the reboot time, so a crash from here on reports this exact time. */
  | { step: 'record'; rebootTime: Date }
  /** Write the reboot report to the twin (with retries). */
  | { step: 'report'; rebootTime: Date }
  /** The report is delivered; remove the record. */
  | { step: 'clear'; rebootTime: Date }
  /**
   * The reboot action failed; remove the record so nothing false is reported later (or put back the
   * record of an earlier reboot whose report is still owed).
   */
  | { step: 'discard' };

/** How a step ended; `at` is the clock's time when it ended. */
export type StepOutcome = { ok: true; at: Date } | { ok: false; error: unknown };

/** What follows a step: possibly an answer to send now, then the next step (none: the flow is over). */
export interface Transition {
  respond?: RebootResponse;
  next?: FlowStep;
  /** The reboot time still to report when the flow ends with the report failed (the record stays stored). */
  reportOwed?: Date;
}

/** The first step of every accepted request that is not scheduled for later. */
export const FIRST_STEP: FlowStep = { step: 'persist' };

/** The first step of an accepted request, scheduled for `scheduledFor` when it asked for a delay. */
export function firstStep(scheduledFor: Date | undefined): FlowStep {
  return scheduledFor === undefined ? FIRST_STEP : { step: 'persist', scheduledFor };
}

/** The mode a request runs in: a scheduled one is answered 202 at once, whatever the handler's mode. */
export function flowMode(mode: ResponseMode, scheduledFor: Date | undefined): ResponseMode {
  return scheduledFor === undefined ? mode : 'respond-then-reboot';
}

/** The transition after `current` ended with `outcome`. Exactly one answer is produced per flow. */
export function advance(mode: ResponseMode, current: FlowStep, outcome: StepOutcome): Transition {
  // In respond-then-reboot the 202 went out after `persist`; later outcomes are only logged and reported.
  // A scheduled reboot is answered 202 in either mode (the caller cannot wait up to an hour for it):
  // the handler runs it with `flowMode`.
  const answerLate = mode === 'report-then-respond';
  switch (current.step) {
    case 'persist':
      if (!outcome.ok) {
        return {
          respond: {
            result: 'reboot-failed',
            error: `Could not record the pending reboot, so the device did not reboot: ${errorMessage(outcome.error)}`,
          },
        };
      }
      // report-then-respond keeps its one-round-trip fast path: no `rebooting` report, the answer says it all.
      if (answerLate) return { next: { step: 'reboot' } };
      return {
        respond: {
          result: 'accepted',
          message:
            current.scheduledFor === undefined
              ? 'Reboot accepted; the reboot state and time will be reported in the twin.'
              : `Reboot scheduled for ${current.scheduledFor.toISOString()}; the reboot state and time will be reported in the twin.`,
        },
        next:
          current.scheduledFor === undefined
            ? { step: 'announce' }
            : { step: 'announce', scheduledFor: current.scheduledFor },
      };
    case 'announce':
      return {
        next:
          current.scheduledFor === undefined
            ? { step: 'reboot' }
            : { step: 'wait', until: current.scheduledFor },
      };
    case 'wait':
      return outcome.ok
        ? { next: { step: 'reboot' } }
        : { next: { step: 'report-failure', error: outcome.error } };
    case 'reboot':
      if (!outcome.ok) return { next: { step: 'report-failure', error: outcome.error } };
      return { next: { step: 'record', rebootTime: outcome.at } };
    case 'report-failure': {
      // Reported first, then answered, as in the success path; whether the report landed or not.
      const respond: RebootResponse = { result: 'reboot-failed', error: errorMessage(current.error) };
      return answerLate ? { respond, next: { step: 'discard' } } : { next: { step: 'discard' } };
    }
    case 'record':
      // A failed update leaves the `rebooting` record; the report below is still worth trying.
      return { next: { step: 'report', rebootTime: current.rebootTime } };
    case 'report': {
      if (outcome.ok) return { next: { step: 'clear', rebootTime: current.rebootTime } };
      const respond: RebootResponse = {
        result: 'report-failed',
        rebootTime: current.rebootTime.toISOString(),
        error: `The device rebooted but the twin report failed; it stays pending and is sent when the connection is back: ${errorMessage(outcome.error)}`,
      };
      const reportOwed = current.rebootTime;
      return answerLate ? { respond, reportOwed } : { reportOwed };
    }
    case 'clear': {
      // A record left behind (clear failed) is reported again later: same time, harmless.
      if (!answerLate) return {};
      const rebootTime = current.rebootTime.toISOString();
      return { respond: { result: 'rebooted', rebootTime, message: `Device rebooted at ${rebootTime}.` } };
    }
    case 'discard':
      return {};
  }
}

/** What to do with a record found in the store outside of a running request. */
export type PendingResolution =
  | { action: 'report'; rebootTime: Date; recoveredFromRestart: boolean }
  | { action: 'discard' };

/**
 * A `rebooted` record is reported with its own time. A `rebooting` record accepted before this process
 * started means the process ended during the reboot (a real restart): the reboot completed at process
 * start. One accepted after this process started belongs to this process's life and never completed
 * (its action failed and the record could not be removed): nothing happened to report.
 */
export function resolvePendingRecord(record: PendingReboot, processStartedAt: Date): PendingResolution {
  if (record.phase === 'rebooted') {
    return { action: 'report', rebootTime: new Date(record.rebootTime), recoveredFromRestart: false };
  }
  return new Date(record.acceptedAt).getTime() <= processStartedAt.getTime()
    ? { action: 'report', rebootTime: processStartedAt, recoveredFromRestart: true }
    : { action: 'discard' };
}

/** Raw bytes (other transports, test doubles) become text; the contract then decodes the JSON. */
export function decodePayload(payload: unknown): unknown {
  if (!(payload instanceof Uint8Array)) return payload;
  // A view of the same bytes, not a copy (Buffer.from of a Uint8Array copies them).
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
}
