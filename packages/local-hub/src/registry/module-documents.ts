import type { Presence } from '../connections/presence';
import type { DeviceFacts } from '../twin';
import type { DeviceRecord } from './devices';
import type { ModuleRecord } from './modules';

/**
 * The registry's module JSON, shaped like IoT Hub's Module (REST reference "Modules - Get Identity"; what
 * azure-iothub's `Registry.getModule` hands back as is).
 */
export function toModuleDocument(module: ModuleRecord, presence: Presence): Record<string, unknown> {
  return {
    moduleId: module.moduleId,
    managedBy: module.managedBy ?? null,
    deviceId: module.deviceId,
    generationId: module.generationId,
    etag: module.etag,
    connectionState: presence.connectionState,
    connectionStateUpdatedTime: presence.connectionStateUpdatedTime,
    lastActivityTime: presence.lastActivityTime,
    cloudToDeviceMessageCount: 0,
    authentication: {
      type: 'sas',
      symmetricKey: { primaryKey: module.primaryKey, secondaryKey: module.secondaryKey },
      x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    },
  };
}

/**
 * The identity facts a module twin shows: the module's own etag (as `deviceEtag`) and connection, and
 * its device's status (a module has none of its own; a disabled device's modules cannot connect).
 */
export function toModuleFacts(module: ModuleRecord, device: DeviceRecord, presence: Presence): DeviceFacts {
  return {
    etag: module.etag,
    status: device.status,
    statusUpdateTime: device.statusUpdatedTime,
    connectionState: presence.connectionState,
    lastActivityTime: presence.lastActivityTime,
    // Modules are SAS only here (the registry refuses other kinds), whatever their device is.
    authenticationType: 'sas',
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    iotEdge: false,
  };
}
