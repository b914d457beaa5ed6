import type { Presence } from '../connections/presence';
import type { DeviceFacts } from '../twin';
import { authenticationDocument, thumbprintsOf } from '../x509/device-authentication';
import type { DeviceRecord } from './devices';

/** The registry's device JSON, shaped like IoT Hub's (what azure-iothub's `Device` reads). */
export function toDeviceDocument(device: DeviceRecord, presence: Presence): Record<string, unknown> {
  return {
    deviceId: device.deviceId,
    generationId: device.generationId,
    etag: device.etag,
    connectionState: presence.connectionState,
    status: device.status,
    statusReason: device.statusReason ?? null,
    connectionStateUpdatedTime: presence.connectionStateUpdatedTime,
    statusUpdatedTime: device.statusUpdatedTime,
    lastActivityTime: presence.lastActivityTime,
    cloudToDeviceMessageCount: 0,
    authentication: authenticationDocument(device.x509, device),
    capabilities: { iotEdge: device.iotEdge === true },
    ...edgeScopesOf(device),
  };
}

/** The device-level facts a service twin document shows. */
export function toDeviceFacts(device: DeviceRecord, presence: Presence): DeviceFacts {
  return {
    etag: device.etag,
    status: device.status,
    statusUpdateTime: device.statusUpdatedTime,
    connectionState: presence.connectionState,
    lastActivityTime: presence.lastActivityTime,
    authenticationType: device.x509?.type ?? 'sas',
    x509Thumbprint: thumbprintsOf(device.x509),
    iotEdge: device.iotEdge === true,
    ...edgeScopesOf(device),
  };
}

/**
 * `deviceScope` and `parentScopes`, shown only when the device has them; an IoT Edge device always has
 * `parentScopes`, `[]` for a top device (as a real hub returns one: azure-iot-cli-extension's live test
 * test_iothub_nested_edge_int.py checks `parentScopes == []` on a new Edge device).
 */
function edgeScopesOf(device: DeviceRecord): { deviceScope?: string; parentScopes?: string[] } {
  const parentScopes = device.parentScopes ?? (device.iotEdge ? [] : undefined);
  return {
    ...(device.deviceScope === undefined ? {} : { deviceScope: device.deviceScope }),
    ...(parentScopes === undefined ? {} : { parentScopes: [...parentScopes] }),
  };
}
