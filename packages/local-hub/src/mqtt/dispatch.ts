import type { Client } from 'aedes';
import type { Logger } from 'pino';
import { HubError } from '../errors';
import type { MethodInvoker } from '../methods/invoker';
import type { HubThrottle } from '../quota/throttle';
import type { TwinRegistry } from '../registry/twins';
import { sendToClient, twinErrorBody } from './reply';
import { handleReportedPatch } from './reported-patch';
import type { DeviceSessions } from './sessions';
import type { TelemetryCounter } from './telemetry';
import { type DevicePublish, twinResponseTopic } from './topics';
import { handleTwinGet } from './twin-get';

/** What the device-publish handlers need. */
export interface DeviceMessageContext {
  twins: TwinRegistry;
  sessions: DeviceSessions;
  invoker: MethodInvoker;
  telemetry: TelemetryCounter;
  /** IoT Hub's twin read and update throttles count device requests too ("Twin (device and module) reads"). */
  throttle: HubThrottle;
  logger: Logger;
}

/**
 * Hands an authorised device publish to the module for its kind. `answered` runs once a twin request's
 * answer is written (the twin-request gate counts the request in flight until then). `departure` aborts
 * when the device's connection goes: its twin requests still waiting for the throttle then leave the backlog.
 */
export function dispatchDevicePublish(
  ctx: DeviceMessageContext,
  client: Client,
  deviceId: string,
  message: DevicePublish,
  payload: Buffer,
  answered?: () => void,
  departure?: AbortSignal,
): void {
  ctx.sessions.active(deviceId);
  switch (message.kind) {
    case 'twin-get':
      shaped(ctx, client, 'twinReads', message.rid, departure, answered, () =>
        handleTwinGet(ctx.twins, client, deviceId, message.rid, ctx.logger, answered),
      );
      return;
    case 'reported-patch':
      shaped(
        ctx,
        client,
        'twinUpdates',
        message.rid,
        departure,
        answered,
        () =>
          void handleReportedPatch(ctx.twins, client, deviceId, message.rid, payload, ctx.logger, answered),
      );
      return;
    case 'method-response':
      ctx.invoker.handleResponse(deviceId, message.rid, message.status, payload);
      return;
    case 'telemetry':
      ctx.telemetry.record(deviceId);
      return;
  }
}

/**
 * Runs a device twin request once its throttle admits it: at once within the rate, else in its turn from
 * the class's backlog (traffic shaping, "IoT Hub quotas and throttling"). A full backlog is answered
 * `$iothub/twin/res/429` with the `errorCode` body (429002), which makes azure-iot-device-mqtt fail the
 * request (mqtt_twin_client.js, _onResponseMessage) so the app backs off and retries. A request whose
 * device disconnected is dropped unanswered, as there is no one to answer. While it waits it counts as in
 * flight for the connection's twin-request gate (`answered` has not run), so a device's own flood of
 * throttled requests is held by backpressure like any other.
 */
function shaped(
  ctx: DeviceMessageContext,
  client: Client,
  operation: 'twinReads' | 'twinUpdates',
  rid: string,
  departure: AbortSignal | undefined,
  answered: (() => void) | undefined,
  run: () => void,
): void {
  if (!ctx.throttle.spec) {
    run();
    return;
  }
  ctx.throttle.admit(operation, 1, departure).then(run, (err: unknown) => {
    if (departure?.aborted) {
      answered?.();
      return;
    }
    const { status, body } = twinErrorBody(err);
    sendToClient(client, twinResponseTopic(status, rid), body, ctx.logger, answered);
  });
}

/** Answers a twin request 429 ThrottlingException (429001), which the device SDK retries with backoff. */
export function refuseTwinRequest(
  ctx: Pick<DeviceMessageContext, 'logger'>,
  client: Client,
  rid: string,
  message: string,
  answered?: () => void,
): void {
  const { status, body } = twinErrorBody(new HubError('ThrottlingException', message));
  sendToClient(client, twinResponseTopic(status, rid), body, ctx.logger, answered);
}
