import type { DeviceRecord } from '../registry/devices';
import { hasPermission, isPolicyName, type PolicyName } from './policies';
import { parseSasToken, SasError, verifySasToken } from './sas';

/** MQTT CONNACK return codes IoT Hub uses to refuse a device. */
export const CONNACK_BAD_CREDENTIALS = 4;
export const CONNACK_NOT_AUTHORIZED = 5;

/**
 * What an accepted CONNECT was granted on: the token's expiry, and the device key that signed it (none
 * for a policy key). IoT Hub ends the connection at expiry and when that key is regenerated.
 */
export interface DeviceGrant {
  expiresAtSeconds: number;
  deviceKey: string | undefined;
  /** An X.509 connection: its certificate's SHA-1 and SHA-256 thumbprints (upper-case hex), and the
   *  CA certificate its chain ended in. IoT Hub ends it when its registration no longer covers it. */
  x509?: { thumbprints: readonly string[]; anchor: string | undefined };
}

export type DeviceAuthResult =
  | ({ ok: true } & DeviceGrant)
  | { ok: false; returnCode: 4 | 5; reason: string };

export interface DeviceAuthInput {
  hostName: string;
  /** MQTT client id, which IoT Hub requires to be the device id. */
  clientId: string;
  username: string | undefined;
  password: string | undefined;
  /** The registry entry for clientId, if any (for a module: its keys and its device's status). */
  device: Pick<DeviceRecord, 'status' | 'primaryKey' | 'secondaryKey'> | undefined;
  /** The SAS resource the token must name; `<hostName>/devices/<clientId>` when absent. */
  resource?: string;
  policyKeys: Readonly<Record<PolicyName, string>>;
  nowSeconds: number;
}

/**
 * Decides an MQTT CONNECT the way IoT Hub does: username `<hostName>/<deviceId>/…`, password a SAS token for
 * `<hostName>/devices/<deviceId>` signed by one of the device's keys (or by a policy with DeviceConnect),
 * unexpired; unknown or disabled devices are not authorized. Reasons are for logs and hold no secrets.
 */
export function authenticateDevice(input: DeviceAuthInput): DeviceAuthResult {
  const { hostName, clientId, username, password, device } = input;
  if (!device) return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'unknown device' };
  if (device.status !== 'enabled')
    return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'device disabled' };
  const prefix = `${hostName}/${clientId}`;
  if (username === undefined || (username !== prefix && !username.startsWith(`${prefix}/`))) {
    return {
      ok: false,
      returnCode: CONNACK_BAD_CREDENTIALS,
      reason: 'username does not name this hub and device',
    };
  }
  if (password === undefined)
    return { ok: false, returnCode: CONNACK_BAD_CREDENTIALS, reason: 'no password' };
  try {
    const token = parseSasToken(password);
    // A damaged record (edited by hand, from an old version) may lack keys: refuse that device only.
    let keys = [device.primaryKey, device.secondaryKey].filter(
      (key): key is string => typeof key === 'string' && key !== '',
    );
    const byPolicy = token.skn !== undefined;
    if (token.skn !== undefined) {
      const policy = token.skn;
      if (!isPolicyName(policy) || !hasPermission(policy, 'DeviceConnect')) {
        return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'policy without DeviceConnect' };
      }
      keys = [input.policyKeys[policy]];
    }
    if (keys.length === 0) {
      return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'device record has no keys' };
    }
    const key = verifySasToken(token, {
      resource: input.resource ?? `${hostName}/devices/${clientId}`,
      keys,
      nowSeconds: input.nowSeconds,
    });
    return { ok: true, expiresAtSeconds: token.se, deviceKey: byPolicy ? undefined : key };
  } catch (err) {
    if (err instanceof SasError)
      return { ok: false, returnCode: CONNACK_BAD_CREDENTIALS, reason: err.message };
    throw err;
  }
}
