import { cloneJson } from './json';
import type { DeviceFacts, JsonObject, PropertySet, TwinRecord } from './types';

/** Body of the MQTT twin GET response: both property sets with `$version`, no `$metadata`. */
export function toDeviceTwinDocument(twin: TwinRecord): JsonObject {
  return {
    desired: { ...twin.desired.values, $version: twin.desired.version },
    reported: { ...twin.reported.values, $version: twin.reported.version },
  };
}

/** What the hub publishes on `$iothub/twin/PATCH/properties/desired/?$version=V`: the patch plus `$version`. */
export function toDesiredPatchMessage(patch: JsonObject, version: number): JsonObject {
  return { ...patch, $version: version };
}

/**
 * The twin as the service REST API returns it (`GET /twins/{id}`, query results), in the field order of
 * IoT Hub's documentation. `deviceId` must be present or azure-iothub's Twin refuses the document.
 */
export function toServiceTwinDocument(twin: TwinRecord, device: DeviceFacts): JsonObject {
  return {
    deviceId: twin.deviceId,
    ...(twin.moduleId === undefined ? {} : { moduleId: twin.moduleId }),
    modelId: twin.modelId ?? '',
    etag: twin.etag,
    deviceEtag: device.etag,
    version: twin.version,
    status: device.status,
    statusUpdateTime: device.statusUpdateTime,
    connectionState: device.connectionState,
    lastActivityTime: device.lastActivityTime,
    cloudToDeviceMessageCount: 0,
    authenticationType: device.authenticationType,
    x509Thumbprint: { ...device.x509Thumbprint },
    capabilities: { iotEdge: device.iotEdge },
    ...(device.deviceScope === undefined ? {} : { deviceScope: device.deviceScope }),
    ...(device.parentScopes === undefined ? {} : { parentScopes: [...device.parentScopes] }),
    tags: cloneJson(twin.tags),
    properties: { desired: withBookkeeping(twin.desired), reported: withBookkeeping(twin.reported) },
  };
}

function withBookkeeping(set: PropertySet): JsonObject {
  return { ...cloneJson(set.values), $metadata: cloneJson(set.metadata), $version: set.version };
}
