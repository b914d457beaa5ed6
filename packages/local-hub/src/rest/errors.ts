import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { HubError } from '../errors';

/**
 * Writes an error in IoT Hub's format: `{"Message":"ErrorCode:<Name>;<text>","ExceptionMessage":…}` and
 * the `iothub-errorcode` header. azure-iothub parses exactly this to pick its error class.
 */
export function sendHubError(res: ServerResponse, error: HubError, now: Date = new Date()): void {
  const body = hubErrorBody(error, now);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(error.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'iothub-errorcode': error.errorName,
  });
  res.end(body);
}

/** The JSON text of an IoT Hub error body. */
export function hubErrorBody(error: HubError, now: Date = new Date()): string {
  return JSON.stringify({
    Message: `ErrorCode:${error.errorName};${error.message.replace(/;/g, ',')}`,
    ExceptionMessage: `Tracking ID:${randomUUID().replace(/-/g, '')}-G:0-TimeStamp:${now.toISOString()}`,
  });
}
