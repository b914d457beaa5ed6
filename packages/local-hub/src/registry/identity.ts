/**
 * One key for every identity that connects, owns a twin and answers methods: a device is `<deviceId>`, a
 * module `<deviceId>/<moduleId>`. It is also the module's MQTT client id (azure-iot-device-mqtt's
 * `_getBaseTransportConfig`), and device ids cannot hold `/`, so the two kinds never collide.
 */
export interface IdentityRef {
  deviceId: string;
  moduleId?: string;
}

export function identityKey(deviceId: string, moduleId?: string): string {
  return moduleId === undefined ? deviceId : `${deviceId}/${moduleId}`;
}

/** The device and (for a module) the module id of a key or MQTT client id. */
export function parseIdentityKey(key: string): IdentityRef {
  const at = key.indexOf('/');
  return at < 0 ? { deviceId: key } : { deviceId: key.slice(0, at), moduleId: key.slice(at + 1) };
}

/** A user-facing name for errors and logs: `device "d1"` or `module "m1" of device "d1"`. */
export function describeIdentity(ref: IdentityRef): string {
  return ref.moduleId === undefined
    ? `Device ${JSON.stringify(ref.deviceId)}`
    : `Module ${JSON.stringify(ref.moduleId)} on device ${JSON.stringify(ref.deviceId)}`;
}
