import type { Logger } from 'pino';
import { type JsonObject, toDesiredPatchMessage } from '../twin';
import { sendToClient } from './reply';
import type { DeviceSessions } from './sessions';
import { desiredPatchTopic } from './topics';

/**
 * Sends a desired-properties change to the device on `$iothub/twin/PATCH/properties/desired/?$version=V`,
 * if it is connected and subscribed (directly or through its persisted session). A device that is offline
 * catches up with a twin GET when it returns, as on IoT Hub.
 */
export function pushDesiredPatch(
  sessions: DeviceSessions,
  deviceId: string,
  patch: JsonObject,
  version: number,
  logger: Logger,
): void {
  const client = sessions.client(deviceId);
  if (!client || !sessions.wantsDesiredUpdates(deviceId)) return;
  sendToClient(
    client,
    desiredPatchTopic(version),
    JSON.stringify(toDesiredPatchMessage(patch, version)),
    logger,
  );
}
