import { PollOptionsError } from './errors';

// IoT Hub device ids: up to 128 characters, ASCII letters and digits plus - . + % _ # * ? ! ( ) , : = @ $ '.
const DEVICE_ID = /^[A-Za-z0-9\-.+%_#*?!(),:=@$']{1,128}$/;

/** Throws {@link PollOptionsError} unless `id` is a valid IoT Hub device id. */
export function assertDeviceId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !DEVICE_ID.test(id)) {
    const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 140)) : typeof id;
    throw new PollOptionsError(
      `${shown} is not a valid IoT Hub device id (1–128 ASCII letters, digits or - . + % _ # * ? ! ( ) , : = @ $ ')`,
    );
  }
}

/**
 * A device id as a query string literal. Valid ids contain no `"` and no backslash, so an id holding a
 * `'` is safe inside double quotes and every other id inside single quotes: no escaping is ever needed.
 */
export function quoteDeviceId(id: string): string {
  assertDeviceId(id);
  return id.includes("'") ? `"${id}"` : `'${id}'`;
}

/**
 * `SELECT * FROM devices WHERE deviceId IN [...]`, optionally `AND (<where>)`. The ids are validated and
 * quoted here; `where` is the caller's own query condition and is used as written.
 */
export function buildDeviceQuery(deviceIds: readonly string[], where?: string): string {
  if (deviceIds.length === 0) throw new PollOptionsError('at least one device id is needed');
  const list = deviceIds.map(quoteDeviceId).join(', ');
  const condition = where === undefined ? '' : ` AND (${where})`;
  return `SELECT * FROM devices WHERE deviceId IN [${list}]${condition}`;
}
