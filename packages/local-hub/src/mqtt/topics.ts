import { parseIdentityKey } from '../registry/identity';

/** What a device publish means to the hub, decided from its topic alone. */
export type DevicePublish =
  | { kind: 'twin-get'; rid: string }
  | { kind: 'reported-patch'; rid: string }
  | { kind: 'method-response'; rid: string; status: number }
  | { kind: 'telemetry' };

/** The filters the device SDK subscribes to (IoT Hub allows no other `$iothub` filters). */
export const METHODS_FILTER = '$iothub/methods/POST/#';
export const TWIN_RESPONSES_FILTER = '$iothub/twin/res/#';
export const DESIRED_FILTER = '$iothub/twin/PATCH/properties/desired/#';
const HUB_FILTERS: readonly string[] = [METHODS_FILTER, TWIN_RESPONSES_FILTER, DESIRED_FILTER];

/**
 * The identity's own topic root: `devices/<deviceId>` for a device, `devices/<deviceId>/modules/<moduleId>`
 * for a module (client id `<deviceId>/<moduleId>`; azure-iot-common's `modulePath`).
 */
function ownRoot(clientId: string): string {
  const { deviceId, moduleId } = parseIdentityKey(clientId);
  return moduleId === undefined ? `devices/${deviceId}` : `devices/${deviceId}/modules/${moduleId}`;
}

/** Where the hub would send to this identity: a device's cloud-to-device topic, a module's inputs. */
function ownInbox(clientId: string): string {
  return `${ownRoot(clientId)}/${parseIdentityKey(clientId).moduleId === undefined ? 'messages/devicebound' : 'inputs'}`;
}

/**
 * Parses a topic the client (a device, or a module `<deviceId>/<moduleId>`) may publish on; undefined for
 * anything else (another identity's topic, junk). Twin and method topics are the same for both; the hub
 * scopes them by the connection's identity.
 */
export function parseDevicePublish(deviceId: string, topic: string): DevicePublish | undefined {
  const telemetryPrefix = `${ownRoot(deviceId)}/messages/events/`;
  if (topic.startsWith(telemetryPrefix) || topic === telemetryPrefix.slice(0, -1))
    return { kind: 'telemetry' };
  const [path, query = ''] = splitOnce(topic, '/?');
  const rid = new URLSearchParams(query).get('$rid');
  if (!rid) return undefined;
  if (path === '$iothub/twin/GET') return { kind: 'twin-get', rid };
  if (path === '$iothub/twin/PATCH/properties/reported') return { kind: 'reported-patch', rid };
  const method = /^\$iothub\/methods\/res\/(\d{3})$/.exec(path);
  if (method) return { kind: 'method-response', rid, status: Number(method[1]) };
  return undefined;
}

/**
 * A device may subscribe to the SDK's three `$iothub` filters and its own cloud-to-device topic only; a
 * module to the same three and its own `devices/<d>/modules/<m>/inputs/#`.
 */
export function isAllowedSubscription(deviceId: string, filter: string): boolean {
  return HUB_FILTERS.includes(filter) || filter === `${ownInbox(deviceId)}/#`;
}

/** Whether a packet the hub sends on `topic` may reach `deviceId` (never another device's topics). */
export function isDeliverableTo(deviceId: string, topic: string): boolean {
  return (
    topic.startsWith('$iothub/twin/res/') ||
    topic.startsWith('$iothub/methods/POST/') ||
    topic.startsWith('$iothub/twin/PATCH/properties/desired/') ||
    topic.startsWith(`${ownInbox(deviceId)}/`)
  );
}

export function twinResponseTopic(status: number, rid: string, version?: number): string {
  // Every twin request is answered on this topic; the rids SDKs send (numbers, uuids) need no encoding,
  // so they skip building a URLSearchParams. Anything else is encoded as URLSearchParams does.
  if (PLAIN_RID.test(rid)) {
    return `$iothub/twin/res/${status}/?$rid=${rid}${version === undefined ? '' : `&$version=${version}`}`;
  }
  const query = new URLSearchParams({ $rid: rid });
  if (version !== undefined) query.set('$version', String(version));
  return `$iothub/twin/res/${status}/?${decodeDollar(query.toString())}`;
}

/** What URLSearchParams writes unencoded: ASCII letters and digits and `*-._` (form-urlencoding). */
const PLAIN_RID = /^[A-Za-z0-9*\-._]*$/;

export function methodRequestTopic(methodName: string, rid: string): string {
  return `$iothub/methods/POST/${methodName}/?$rid=${encodeURIComponent(rid)}`;
}

export function desiredPatchTopic(version: number): string {
  return `$iothub/twin/PATCH/properties/desired/?$version=${version}`;
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + separator.length)];
}

/** URLSearchParams encodes `$`; IoT Hub (and the SDK's parser) use it literally in `$rid` / `$version`. */
function decodeDollar(query: string): string {
  return query.replace(/%24/g, '$');
}
