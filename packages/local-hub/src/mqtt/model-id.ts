/**
 * A Digital Twins Model Identifier ("Digital Twins Definition Language" v2/v3: `dtmi:` path segments of
 * letters, digits and `_`, each starting with a letter and not ending with `_`, then `;` and a version).
 */
const DTMI =
  /^dtmi:[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?(?::[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?)*;[1-9][0-9]{0,8}$/;

/** The longest model id IoT Hub accepts (IoT Plug and Play conventions). */
const MAX_MODEL_ID_LENGTH = 512;

/**
 * The `model-id=` an MQTT username announces (`<host>/<clientId>/?api-version=…&model-id=<dtmi>&…`, as
 * azure-iot-device-mqtt writes it after `setOptions({ modelId })`), or undefined when it has none or the
 * value is not a DTMI.
 */
export function modelIdOf(username: string | undefined): string | undefined {
  if (username === undefined) return undefined;
  const at = username.indexOf('?');
  if (at < 0) return undefined;
  const value = new URLSearchParams(username.slice(at + 1)).get('model-id');
  if (value === null || value.length > MAX_MODEL_ID_LENGTH || !DTMI.test(value)) return undefined;
  return value;
}
