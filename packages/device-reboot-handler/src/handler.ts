import {
  type PendingReboot,
  REBOOT_METHOD_NAME,
  type RebootRequest,
  type RebootResponse,
  rebootAnswer,
  safeParseRebootRequest,
} from '@iothub-reboot/contracts';
import type { Logger } from 'pino';
import type { MethodRequest, MethodResponse, RebootHandlerClient } from './client';
import type { Clock } from './clock';
import { errorMessage, loggable, RebootHandlerError } from './errors';
import {
  admitRequest,
  advance,
  decodePayload,
  type FlowStep,
  firstStep,
  flowMode,
  RESPONSE_MODES,
  type ResponseMode,
  type StepOutcome,
} from './flow';
import { claimMethod } from './method-slot';
import { type ReportingOptions, type ResolvedReportingOptions, resolveReportingOptions } from './options';
import { withTimeout } from './retry';
import { withStoreLock } from './store-lock';
import { createTwinReporter, type ReportReboot, type TwinRebootState } from './twin-report';

/** What the reboot action receives. */
export interface RebootActionRequest {
  requestId: string;
  /**
   * The parsed payload (`reason`, `correlationId`, …). `delaySeconds` has already been waited for: the
   * action runs at the planned time.
   */
  payload: RebootRequest;
}

/** Options of {@link attachRebootHandler}. */
export interface RebootHandlerOptions extends ReportingOptions {
  /** Reboots the device: a simulation in the sample app, a real restart in firmware. Rejects on failure. */
  reboot: (request: RebootActionRequest) => Promise<void>;
  /** Default `rebootDevice`. */
  methodName?: string;
  /** Default `report-then-respond`. */
  mode?: ResponseMode;
}

/** The handle of an attached handler. */
export interface RebootHandler {
  /**
   * Stops taking new requests (they are left unanswered, like a method with no handler) and resolves
   * once the running request, if any, has completed and answered. A scheduled reboot still waiting for
   * its time is cancelled and reported `failed`.
   */
  detach(): Promise<void>;
}

/**
 * Registers the reboot method on `client`. Each request is answered exactly once: 400 for a bad payload,
 * 409 while another reboot or report runs, otherwise per `mode` (see the README for the full flow).
 * Throws {@link RebootHandlerError} on invalid options or when the method already has a handler, and
 * {@link PendingRebootStoreError} when the store cannot keep records (see `PendingRebootStore.prepare`).
 */
export function attachRebootHandler(
  client: RebootHandlerClient,
  options: RebootHandlerOptions,
): RebootHandler {
  const methodName = options.methodName ?? REBOOT_METHOD_NAME;
  const mode = options.mode ?? 'report-then-respond';
  if (typeof methodName !== 'string' || methodName === '') {
    throw new RebootHandlerError('methodName must be a non-empty string');
  }
  if (!RESPONSE_MODES.includes(mode))
    throw new RebootHandlerError(`mode must be one of ${RESPONSE_MODES.join(', ')}`);
  if (typeof options.reboot !== 'function') throw new RebootHandlerError('reboot must be a function');
  const resolved = resolveReportingOptions(options);
  // A store that cannot save fails here, not as a 500 at the first reboot.
  resolved.store.prepare?.();
  const logger = resolved.logger.child({ methodName });
  const report = createTwinReporter(client, resolved);

  let busy = false;
  const cancel = new AbortController();
  // The reboot whose report failed during a request; the store keeps it across restarts as well.
  let owed: OwedReport | undefined;
  let running: Promise<void> = Promise.resolve();
  // Built once: every request's flow shares the same dependencies.
  const flowDeps: FlowDeps = { ...resolved, mode, report, reboot: options.reboot, cancelled: cancel.signal };

  // Runs `work` as the one activity of the handler; `work` never rejects.
  const occupy = (work: () => Promise<void>) => {
    busy = true;
    running = withStoreLock(resolved.store, work).finally(() => {
      busy = false;
    });
  };

  // A pino child per request serialises its bindings; a silent logger (the default) would log none of it.
  const onRequest = (request: MethodRequest, response: MethodResponse) => {
    const log = logger.isLevelEnabled('fatal') ? logger.child({ requestId: request.requestId }) : logger;
    const respond = respondOnce(response, log, (send) =>
      withTimeout('method response', resolved.retry.callTimeoutMs, resolved.clock, send),
    );
    try {
      const admission = admitRequest(busy, safeParseRebootRequest(decodePayload(request.payload)));
      if (!admission.start) {
        log.warn({ result: admission.response.result }, 'Reboot request refused');
        void respond(admission.response);
        return;
      }
      occupy(async () => {
        owed = await runFlow(flowDeps, { request, payload: admission.request, owed }, respond, log);
      });
    } catch (err) {
      // Defensive: nothing above is expected to throw, but the SDK would answer a synchronous throw itself.
      log.error({ err: loggable(err) }, 'Reboot request handling failed');
      void respond({ result: 'reboot-failed', error: `Internal error: ${errorMessage(err)}` });
    }
  };

  // A report that failed during a request is sent again when the client reconnects.
  const onConnect = () => {
    const pending = owed;
    if (pending === undefined || busy) return;
    const log = logger.child({ requestId: pending.requestId });
    occupy(async () => {
      try {
        await report(rebootedState(pending), log);
      } catch (err) {
        log.warn(
          { err: loggable(err) },
          'Pending reboot report still not delivered; retrying on the next connection',
        );
        return;
      }
      owed = undefined;
      await resolved.store.clear().catch((err: unknown) => {
        log.error({ err: loggable(err) }, 'Could not clear the reported pending reboot');
      });
    });
  };

  const release = claimMethod(client, methodName, onRequest);
  client.on('connect', onConnect);
  let detached = false;
  return {
    async detach() {
      if (!detached) {
        detached = true;
        release();
        client.removeListener('connect', onConnect);
        cancel.abort();
      }
      await running;
    },
  };
}

/** A completed reboot whose twin report is still owed, as stored. */
type OwedReport = Extract<PendingReboot, { phase: 'rebooted' }>;

function rebootedState(owed: OwedReport): TwinRebootState {
  return {
    status: 'rebooted',
    rebootTime: new Date(owed.rebootTime),
    startedAt: new Date(owed.acceptedAt),
    correlationId: owed.correlationId,
  };
}

interface FlowDeps extends ResolvedReportingOptions {
  mode: ResponseMode;
  /** Fired by detach: a scheduled reboot that has not started is cancelled (and reported failed). */
  cancelled: AbortSignal;
  report: ReportReboot;
  reboot: RebootHandlerOptions['reboot'];
}

interface FlowInput {
  request: MethodRequest;
  payload: RebootRequest;
  /** An earlier reboot's owed report: restored if this request ends without a reboot of its own. */
  owed: OwedReport | undefined;
}

/**
 * Interprets the steps of {@link advance} for one accepted request; never rejects. Resolves with the
 * report still owed afterwards, if any.
 */
async function runFlow(
  deps: FlowDeps,
  { request, payload, owed: owedBefore }: FlowInput,
  respond: (response: RebootResponse) => Promise<void>,
  log: Logger,
): Promise<OwedReport | undefined> {
  const { store, clock, report } = deps;
  const startedAt = new Date(clock.now());
  const acceptedAt = startedAt.toISOString();
  const { correlationId, delaySeconds } = payload;
  // A delayed request is a scheduled reboot: answered 202 at once, run at its planned time.
  const scheduledFor = delaySeconds ? new Date(startedAt.getTime() + delaySeconds * 1000) : undefined;
  const mode = flowMode(deps.mode, scheduledFor);
  const record = {
    version: 1,
    requestId: request.requestId,
    acceptedAt,
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(scheduledFor === undefined ? {} : { scheduledFor: scheduledFor.toISOString() }),
  } as const;

  const run = async (current: FlowStep): Promise<void> => {
    switch (current.step) {
      case 'persist':
        return store.save({ ...record, phase: 'rebooting' });
      case 'announce':
        return report({ status: 'rebooting', correlationId, startedAt, scheduledFor }, log);
      case 'wait':
        log.info({ scheduledFor: current.until.toISOString() }, 'Reboot scheduled');
        return waitUntil(clock, current.until, deps.cancelled);
      case 'reboot':
        log.info(
          { reason: payload.reason, delaySeconds: payload.delaySeconds, correlationId },
          'Rebooting device',
        );
        await deps.reboot({ requestId: request.requestId, payload });
        return;
      case 'report-failure':
        return report(
          { status: 'failed', correlationId, startedAt, reason: errorMessage(current.error) },
          log,
        );
      case 'record': {
        const rebootTime = current.rebootTime.toISOString();
        log.info({ rebootTime }, 'Device rebooted');
        return store.save({ ...record, phase: 'rebooted', rebootTime });
      }
      case 'report':
        return report({ status: 'rebooted', rebootTime: current.rebootTime, correlationId, startedAt }, log);
      case 'clear':
        return store.clear();
      case 'discard':
        // This request's record replaced an owed one; without a newer reboot, that report is owed again.
        return owedBefore === undefined ? store.clear() : store.save(owedBefore);
    }
  };

  let step: FlowStep | undefined = firstStep(scheduledFor);
  let owed = owedBefore;
  try {
    while (step !== undefined) {
      let outcome: StepOutcome;
      try {
        await run(step);
        outcome = { ok: true, at: new Date(clock.now()) };
      } catch (error) {
        log.error({ err: loggable(error), step: step.step }, 'Reboot step failed');
        outcome = { ok: false, error };
      }
      const transition = advance(mode, step, outcome);
      if (transition.respond !== undefined) await respond(transition.respond);
      if (step.step === 'report') {
        // A newer reboot time supersedes any older owed one: the twin holds the last reboot only.
        const rebootTime = transition.reportOwed?.toISOString();
        owed = rebootTime === undefined ? undefined : { ...record, phase: 'rebooted', rebootTime };
      }
      step = transition.next;
    }
  } catch (err) {
    // Defensive: `advance` and `respond` do not throw; if they ever do, the request still gets its answer.
    log.error({ err: loggable(err) }, 'Reboot flow failed unexpectedly');
    await respond({ result: 'reboot-failed', error: `Internal error: ${errorMessage(err)}` });
  }
  return owed;
}

/** Resolves at `until` on `clock`; rejects at once when `cancelled` fires (the handler was detached). */
function waitUntil(clock: Clock, until: Date, cancelled: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = () => reject(new RebootHandlerError('the handler was detached before the scheduled reboot'));
    if (cancelled.aborted) return fail();
    const onCancel = () => {
      clock.clearTimeout(timer);
      fail();
    };
    const timer = clock.setTimeout(
      () => {
        cancelled.removeEventListener('abort', onCancel);
        resolve();
      },
      Math.max(0, until.getTime() - clock.now()),
    );
    cancelled.addEventListener('abort', onCancel, { once: true });
  });
}

/**
 * The single answer of one request: later calls are ignored, and a failed or stuck send (connection
 * gone) is logged, never thrown, so the flow goes on (a 202 that could not be sent still reboots).
 */
function respondOnce(
  response: MethodResponse,
  log: Logger,
  bound: (send: () => Promise<void>) => Promise<void>,
): (payload: RebootResponse) => Promise<void> {
  let sent = false;
  return async (payload) => {
    if (sent) return;
    sent = true;
    try {
      const answer = rebootAnswer(payload);
      await bound(() => response.send(answer.status, answer.payload));
      log.info({ status: answer.status, result: answer.payload.result }, 'Reboot request answered');
    } catch (err) {
      log.error({ err: loggable(err), result: payload.result }, 'Could not send the reboot method response');
    }
  };
}
