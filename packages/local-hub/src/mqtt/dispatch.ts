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
 * answer is written (the twin-request gate counts the request in flight until then).
 */
export function dispatchDevicePublish(
  ctx: DeviceMessageContext,
  client: Client,
  deviceId: string,
  message: DevicePublish,
  payload: Buffer,
  answered?: () => void,
): void {
  ctx.sessions.active(deviceId);
  switch (message.kind) {
    case 'twin-get':
      if (!throttled(ctx, client, 'twinReads', message.rid, answered))
        handleTwinGet(ctx.twins, client, deviceId, message.rid, ctx.logger, answered);
      return;
    case 'reported-patch':
      if (!throttled(ctx, client, 'twinUpdates', message.rid, answered))
        void handleReportedPatch(ctx.twins, client, deviceId, message.rid, payload, ctx.logger, answered);
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
 * Whether a device twin request is over its throttle; if so it is answered `twin/res/429` with the
 * `errorCode` body (429001) that makes the device SDK fail the request and retry it with backoff.
 */
function throttled(
  ctx: DeviceMessageContext,
  client: Client,
  operation: 'twinReads' | 'twinUpdates',
  rid: string,
  answered?: () => void,
): boolean {
  if (ctx.throttle.tryTake(operation)) return false;
  refuseTwinRequest(
    ctx,
    client,
    rid,
    `The hub's ${operation} throttle is exceeded; back off and retry.`,
    answered,
  );
  return true;
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
