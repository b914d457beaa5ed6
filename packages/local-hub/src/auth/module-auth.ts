import type { DeviceRecord } from '../registry/devices';
import { parseIdentityKey } from '../registry/identity';
import type { ModuleRecord } from '../registry/modules';
import {
  authenticateDevice,
  CONNACK_NOT_AUTHORIZED,
  type DeviceAuthInput,
  type DeviceAuthResult,
} from './device-auth';

export interface ModuleAuthInput extends Omit<DeviceAuthInput, 'device' | 'resource'> {
  /** The device part of the client id, if registered. */
  device: DeviceRecord | undefined;
  /** The module the client id names, if registered. */
  module: ModuleRecord | undefined;
}

/**
 * Decides a module's MQTT CONNECT as IoT Hub does (azure-iot-device-mqtt and azure-iot-device's
 * SharedAccessKeyAuthenticationProvider): client id `<deviceId>/<moduleId>`, username
 * `<hostName>/<deviceId>/<moduleId>/…`, and a SAS token for `<hostName>/devices/<deviceId>/modules/<moduleId>`
 * signed by one of the *module's* keys (or a policy with DeviceConnect). A device's key or token does not
 * open a module, nor a module's the device or another module. A module of a disabled device is refused.
 * The return codes are the device ones: 5 for a disabled device, which azure-iot-sdk-c
 * (iothubtransport_mqtt_common.c) reports as IOTHUB_CLIENT_CONNECTION_DEVICE_DISABLED, and 4 for a key or
 * token that does not match, its IOTHUB_CLIENT_CONNECTION_BAD_CREDENTIAL.
 */
export function authenticateModule(input: ModuleAuthInput): DeviceAuthResult {
  const { deviceId, moduleId } = parseIdentityKey(input.clientId);
  const { device, module, ...rest } = input;
  if (!device || !module || moduleId === undefined) {
    return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'unknown module' };
  }
  return authenticateDevice({
    ...rest,
    device: { status: device.status, primaryKey: module.primaryKey, secondaryKey: module.secondaryKey },
    resource: `${input.hostName}/devices/${deviceId}/modules/${moduleId}`,
  });
}
