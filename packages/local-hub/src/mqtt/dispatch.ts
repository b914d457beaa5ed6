import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { MethodInvoker } from '../methods/invoker';
import type { TwinRegistry } from '../registry/twins';
import { handleReportedPatch } from './reported-patch';
import type { DeviceSessions } from './sessions';
import type { TelemetryCounter } from './telemetry';
import type { DevicePublish } from './topics';
import { handleTwinGet } from './twin-get';

/** What the device-publish handlers need. */
export interface DeviceMessageContext {
  twins: TwinRegistry;
  sessions: DeviceSessions;
  invoker: MethodInvoker;
  telemetry: TelemetryCounter;
  logger: Logger;
}

/** Hands an authorised device publish to the module for its kind. */
export function dispatchDevicePublish(
  ctx: DeviceMessageContext,
  client: Client,
  deviceId: string,
  message: DevicePublish,
  payload: Buffer,
): void {
  ctx.sessions.active(deviceId);
  switch (message.kind) {
    case 'twin-get':
      handleTwinGet(ctx.twins, client, deviceId, message.rid, ctx.logger);
      return;
    case 'reported-patch':
      void handleReportedPatch(ctx.twins, client, deviceId, message.rid, payload, ctx.logger);
      return;
    case 'method-response':
      ctx.invoker.handleResponse(deviceId, message.rid, message.status, payload);
      return;
    case 'telemetry':
      ctx.telemetry.record(deviceId);
      return;
  }
}
