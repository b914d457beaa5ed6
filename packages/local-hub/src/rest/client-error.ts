import { STATUS_CODES } from 'node:http';
import { HubError } from '../errors';
import { hubErrorBody } from './errors';

/**
 * The raw HTTP/1.1 response for a request Node's parser refused (bad framing, oversized headers) or that
 * arrived too slowly: IoT Hub's error body and header, then the connection closes. Node's own answer would
 * have no body, and the SDK could not tell what went wrong.
 */
export function clientErrorResponse(err: { code?: string | undefined }, now: Date = new Date()): string {
  return rawHubErrorResponse(toClientHubError(err.code), now);
}

/** A HubError as raw HTTP/1.1 response text that closes the connection: for sockets no ServerResponse owns. */
export function rawHubErrorResponse(error: HubError, now: Date = new Date()): string {
  const body = hubErrorBody(error, now);
  return [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}`,
    'connection: close',
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    `iothub-errorcode: ${error.errorName}`,
    '',
    body,
  ].join('\r\n');
}

function toClientHubError(code: string | undefined): HubError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HubError('RequestTimeout', 'The request was not received in time.');
    case 'HPE_HEADER_OVERFLOW':
      return new HubError('ArgumentInvalid', 'The request headers are too large.');
    default:
      return new HubError('ArgumentInvalid', 'The request is not valid HTTP.');
  }
}
