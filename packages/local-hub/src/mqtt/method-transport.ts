import type { Logger } from 'pino';
import type { MethodTransport } from '../methods/invoker';
import type { DeviceRegistry } from '../registry/devices';
import { parseIdentityKey } from '../registry/identity';
import type { ModuleRegistry } from '../registry/modules';
import { sendToClient } from './reply';
import type { DeviceSessions } from './sessions';
import { METHODS_FILTER, methodRequestTopic } from './topics';

/**
 * Delivers method requests to the current MQTT client of a device or a module (`deviceId` is the identity
 * key, `<deviceId>/<moduleId>` for a module: the module's client id).
 */
export function mqttMethodTransport(
  registry: DeviceRegistry,
  modules: ModuleRegistry,
  sessions: DeviceSessions,
  logger: Logger,
): MethodTransport {
  return {
    exists(key) {
      const { deviceId, moduleId } = parseIdentityKey(key);
      if (registry.get(deviceId) === undefined) return false;
      return moduleId === undefined || modules.get(deviceId, moduleId) !== undefined;
    },
    isReady: (deviceId) => sessions.isSubscribed(deviceId, METHODS_FILTER),
    onReady: (listener) => void sessions.onMethodsReady(listener),
    send(deviceId, methodName, requestId, payloadJson) {
      const client = sessions.client(deviceId);
      // Gone since the readiness check: the call then ends with its response timeout, as on IoT Hub.
      if (client) sendToClient(client, methodRequestTopic(methodName, requestId), payloadJson, logger);
    },
  };
}
