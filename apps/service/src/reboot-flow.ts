import { CliError } from '@iothub-reboot/app-kit';
import { safeParseRebootResponse } from '@iothub-reboot/contracts';
import {
  type ConfirmationRule,
  pollTwinUntilRebooted,
  type TwinSource,
  withCorrelationId,
} from '@iothub-reboot/twin-poller';
import type { Logger } from 'pino';
import { type MethodParams, methodParams, pollBounds, totalPolls, type WaitSettings } from './bounds';
import { EXIT } from './exit-codes';
import { invokeFailure, pollFailure } from './outcome';
import type { Progress } from './progress';

/** What the reboot flow needs from `azure-iothub`'s Client (the module form for `--module-id`). */
export interface MethodInvoker {
  invokeDeviceMethod(deviceId: string, params: MethodParams): Promise<{ result: unknown }>;
  invokeDeviceMethod(deviceId: string, moduleId: string, params: MethodParams): Promise<{ result: unknown }>;
}

/** What the flow reads twins with: `azure-iothub`'s Registry (module twins for `--module-id`). */
export interface TwinReader extends TwinSource {
  getModuleTwin(deviceId: string, moduleId: string): Promise<{ responseBody: unknown }>;
}

/** The settings the flow uses (a subset of the app's). */
export interface RebootFlowSettings extends WaitSettings {
  deviceId: string;
  /** Reboot through this module of the device: its method, its module twin. */
  moduleId?: string;
  clockSkewMs: number;
  /** For devices that do not echo the correlation id: `auto` is the hub clock, else the device clock. */
  confirmBy: 'auto' | 'hub-clock' | 'device-clock';
}

/** A confirmed remote reboot. */
export interface RebootConfirmed {
  requestedAt: Date;
  method: { status: number; payload: unknown };
  lastRebootTime: Date;
  source: string;
  /** The rule that confirmed the reboot: the echoed correlation id, or a clock. */
  confirmedBy: ConfirmationRule;
  /** The correlation id sent with the request (absent when the payload cannot carry one). */
  correlationId?: string;
  polls: number;
  elapsedMs: number;
}

/** The device's answer, when the flow failed after it. */
export type FlowError = CliError & { method?: { status: number; payload: unknown } };

// The hub answers at the response timeout itself; this only bounds a hub that never answers.
const INVOKE_MARGIN_MS = 15_000;

/**
 * The remote reboot: invoke the method, then poll the twin until it reports a reboot later than the
 * request. Resolves when confirmed; rejects with a CliError whose exit code says what went wrong.
 */
export async function rebootAndConfirm(
  clients: { client: MethodInvoker; registry: TwinReader; hostName: string },
  settings: RebootFlowSettings,
  hooks: { progress: Progress; say: (line: string) => void; logger: Logger; signal: AbortSignal },
): Promise<RebootConfirmed> {
  const { deviceId: device, moduleId } = settings;
  // Messages name the module as IoT Hub's client id does.
  const deviceId = moduleId === undefined ? device : `${device}/${moduleId}`;
  const invoke = (params: MethodParams) =>
    moduleId === undefined
      ? clients.client.invokeDeviceMethod(device, params)
      : clients.client.invokeDeviceMethod(device, moduleId, params);
  const twins: TwinSource =
    moduleId === undefined
      ? clients.registry
      : { getTwin: () => clients.registry.getModuleTwin(device, moduleId) };
  const requestedAt = new Date();
  // The device echoes the id in its twin: the exact confirmation, whatever the clocks say.
  const { payload, correlationId } = withCorrelationId(settings.payload);
  hooks.say(`Invoking ${settings.methodName} on ${deviceId} with payload ${JSON.stringify(payload)}`);
  hooks.progress.update(
    `waiting for ${deviceId} to answer (up to ${settings.connectTimeoutSeconds} s to connect, ${settings.responseTimeoutSeconds} s to answer)`,
  );
  let result: unknown;
  try {
    ({ result } = await withDeadline(
      invoke(methodParams({ ...settings, payload })),
      (settings.connectTimeoutSeconds + settings.responseTimeoutSeconds) * 1000 + INVOKE_MARGIN_MS,
      hooks.signal,
    ));
  } catch (err) {
    const failure = invokeFailure(err, deviceId, clients.hostName);
    throw failure.code === 'method-timed-out'
      ? await explainTimeout(
          failure,
          () => twins.getTwin(device),
          settings.methodName,
          settings.responseTimeoutSeconds,
        )
      : failure;
  } finally {
    hooks.progress.done();
  }
  const method = methodResult(result);
  hooks.say(`Device answered ${method.status}: ${JSON.stringify(method.payload)}`);
  if (method.status < 200 || method.status >= 300) {
    const parsed = safeParseRebootResponse(method.payload);
    const why = parsed.success && 'error' in parsed.data ? parsed.data.error : JSON.stringify(method.payload);
    const error: FlowError = new CliError(`device ${deviceId} answered ${method.status}: ${why}`, {
      exitCode: EXIT.deviceError,
      code: 'device-error',
    });
    error.method = method;
    throw error;
  }

  hooks.say(
    `Waiting for the twin to report a reboot after ${requestedAt.toISOString()} (every ${settings.pollIntervalMs / 1000} s, at most ${totalPolls(settings)} polls)`,
  );
  try {
    // The poller checks the id is a device id; for a module, `twins` reads the module's twin.
    const polled = await pollTwinUntilRebooted(twins, device, {
      requestedAt,
      clockSkewMs: settings.clockSkewMs,
      confirmBy: settings.confirmBy,
      ...(correlationId === undefined ? {} : { correlationId }),
      ...pollBounds(settings, hooks),
      onAttempt: (report) => {
        const state =
          report.outcome === 'transient-error'
            ? 'hub error, retrying'
            : report.outcome === 'not-yet'
              ? report.reason
              : 'reboot reported';
        hooks.progress.update(`poll ${report.attempt}/${totalPolls(settings)}: ${state}`);
      },
    });
    return {
      requestedAt,
      method,
      lastRebootTime: polled.value.rebootTime,
      source: polled.value.source,
      confirmedBy: polled.value.confirmedBy,
      ...(correlationId === undefined ? {} : { correlationId }),
      polls: polled.attempts,
      elapsedMs: polled.elapsedMs,
    };
  } catch (err) {
    const error: FlowError = pollFailure(err, deviceId, clients.hostName);
    error.method = method;
    throw error;
  } finally {
    hooks.progress.done();
  }
}

function methodResult(result: unknown): { status: number; payload: unknown } {
  const r = (typeof result === 'object' && result !== null ? result : {}) as {
    status?: unknown;
    payload?: unknown;
  };
  return { status: typeof r.status === 'number' ? r.status : 0, payload: r.payload ?? null };
}

class HubCallTimeoutError extends Error {
  override readonly name = 'HubCallTimeoutError';
}

/** Bounds a call the SDK never times out by itself; the abandoned call's late result is ignored. */
function withDeadline<T>(call: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new HubCallTimeoutError(`no answer within ${ms} ms`)), ms);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/**
 * A method that timed out on a device that is connected: IoT Hub only delivers direct methods to
 * devices subscribed to them (else 404 DeviceNotOnline), so the device got the request and did not answer
 * it; with the SDK the usual cause is a handler registered for another method name (the SDK leaves an
 * unknown method unanswered). Says so, instead of only "raise --response-timeout".
 */
async function explainTimeout(
  failure: CliError,
  readTwin: () => Promise<{ responseBody: unknown }>,
  methodName: string,
  responseTimeoutSeconds: number,
): Promise<CliError> {
  const twin = await readTwin().then(
    (t) => t.responseBody as { connectionState?: unknown } | undefined,
    () => undefined,
  );
  if (twin?.connectionState !== 'Connected') return failure;
  return new CliError(
    `${failure.message.replace(/ within the response timeout.*$/, '')} within ${responseTimeoutSeconds} s, although it is connected and subscribed to direct methods: check that it handles a method named "${methodName}" (--method-name), or raise --response-timeout`,
    { exitCode: failure.exitCode, code: failure.code, cause: failure.cause },
  );
}
