import type { Client } from 'aedes';
import type { Logger } from 'pino';
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
 * Hands an authorised device publish to the module for its kind. `departure` aborts when the device's
 * connection goes: its twin requests still waiting for the throttle then leave the backlog.
 */
export function dispatchDevicePublish(
  ctx: DeviceMessageContext,
  client: Client,
  deviceId: string,
  message: DevicePublish,
  payload: Buffer,
  departure?: AbortSignal,
): void {
  ctx.sessions.active(deviceId);
  switch (message.kind) {
    case 'twin-get':
      shaped(ctx, client, 'twinReads', message.rid, departure, () =>
        handleTwinGet(ctx.twins, client, deviceId, message.rid, ctx.logger),
      );
      return;
    case 'reported-patch':
      shaped(
        ctx,
        client,
        'twinUpdates',
        message.rid,
        departure,
        () => void handleReportedPatch(ctx.twins, client, deviceId, message.rid, payload, ctx.logger),
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
 * the class's backlog (traffic shaping, "IoT Hub quotas and throttling"), while the device's other packets
 * go on. A full backlog is answered `$iothub/twin/res/429` with the `errorCode` body (429002), which makes
 * azure-iot-device-mqtt fail the request (mqtt_twin_client.js, _onResponseMessage) so the app backs off and
 * retries. A request whose device disconnected is dropped unanswered, as there is no one to answer.
 */
function shaped(
  ctx: DeviceMessageContext,
  client: Client,
  operation: 'twinReads' | 'twinUpdates',
  rid: string,
  departure: AbortSignal | undefined,
  run: () => void,
): void {
  if (!ctx.throttle.spec) {
    run();
    return;
  }
  ctx.throttle.admit(operation, 1, departure).then(run, (err: unknown) => {
    if (departure?.aborted) return;
    const { status, body } = twinErrorBody(err);
    sendToClient(client, twinResponseTopic(status, rid), body, ctx.logger);
  });
}
