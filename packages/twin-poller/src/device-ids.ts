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

/** IoT Hub's limit on the text of one query, in bytes (8 KB); a longer one is refused with 400. */
export const MAX_QUERY_BYTES = 8192;

const QUERY_HEAD = 'SELECT * FROM devices WHERE deviceId IN [';

function queryTail(where: string | undefined): string {
  return where === undefined ? ']' : `] AND (${where})`;
}

/**
 * `SELECT * FROM devices WHERE deviceId IN [...]`, optionally `AND (<where>)`. The ids are validated and
 * quoted here; `where` is the caller's own query condition and is used as written.
 */
export function buildDeviceQuery(deviceIds: readonly string[], where?: string): string {
  if (deviceIds.length === 0) throw new PollOptionsError('at least one device id is needed');
  return `${QUERY_HEAD}${deviceIds.map(quoteDeviceId).join(', ')}${queryTail(where)}`;
}

/**
 * The {@link buildDeviceQuery} queries that together cover `deviceIds` (in order, each id once), each at
 * most `maxBytes` long: a fleet's id list soon outgrows one query (about 400 ids of 10 characters fill 8 KB).
 * Throws {@link PollOptionsError} when even one id and `where` do not fit.
 */
export function buildDeviceQueries(
  deviceIds: readonly string[],
  where?: string,
  maxBytes: number = MAX_QUERY_BYTES,
): string[] {
  if (deviceIds.length === 0) throw new PollOptionsError('at least one device id is needed');
  const tail = queryTail(where);
  const frame = Buffer.byteLength(QUERY_HEAD) + Buffer.byteLength(tail);
  const queries: string[] = [];
  let batch: string[] = [];
  let bytes = frame;
  for (const id of deviceIds) {
    const quoted = quoteDeviceId(id); // ASCII only, so its length is its size in bytes
    if (frame + quoted.length > maxBytes) {
      throw new PollOptionsError(
        `a query for one device with this condition is longer than ${maxBytes} bytes`,
      );
    }
    if (batch.length > 0 && bytes + 2 + quoted.length > maxBytes) {
      queries.push(`${QUERY_HEAD}${batch.join(', ')}${tail}`);
      batch = [];
      bytes = frame;
    }
    bytes += (batch.length === 0 ? 0 : 2) + quoted.length; // ", " between literals
    batch.push(quoted);
  }
  queries.push(`${QUERY_HEAD}${batch.join(', ')}${tail}`);
  return queries;
}
