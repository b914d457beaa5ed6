import type { Logger } from 'pino';
import type { MethodTransport } from '../methods/invoker';
import type { DeviceRegistry } from '../registry/devices';
import { sendToClient } from './reply';
import type { DeviceSessions } from './sessions';
import { METHODS_FILTER, methodRequestTopic } from './topics';

/** Delivers method requests to the device's current MQTT client. */
export function mqttMethodTransport(
  registry: DeviceRegistry,
  sessions: DeviceSessions,
  logger: Logger,
): MethodTransport {
  return {
    exists: (deviceId) => registry.get(deviceId) !== undefined,
    isReady: (deviceId) => sessions.isSubscribed(deviceId, METHODS_FILTER),
    onReady: (listener) => void sessions.onMethodsReady(listener),
    send(deviceId, methodName, requestId, payloadJson) {
      const client = sessions.client(deviceId);
      // Gone since the readiness check: the call then ends with its response timeout, as on IoT Hub.
      if (client) sendToClient(client, methodRequestTopic(methodName, requestId), payloadJson, logger);
    },
  };
}
