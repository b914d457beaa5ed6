import { parseRetryAfter } from './backoff';
import { ReadTimeoutError } from './errors';
import { readIotHubError } from './hub-error-facts';

/** What to do about a failed read. */
export type ErrorClassification =
  | { kind: 'transient' /** Server-requested wait (`Retry-After`), when present. */; retryAfterMs?: number }
  | { kind: 'fatal' /** What the caller should fix. */; hint: string };

/** Decides whether a read failure is retried; `nowMs` resolves `Retry-After` dates. */
export type ErrorClassifier = (error: unknown, nowMs: number) => ErrorClassification;

// Socket-level failures of the HTTPS transport. ECONNREFUSED is retried on purpose: a hub or gateway
// that is restarting refuses connections for a moment, and the poll's bound caps what a dead one costs
// (the timeout error then carries the ECONNREFUSED as `lastError`).
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
]);

// azure-iot-common error classes, for errors that arrive without an HTTP response.
const TRANSIENT_NAMES = new Set([
  'ThrottlingError',
  'InternalServerError',
  'ServiceUnavailableError',
  'GatewayTimeoutError',
  'TimeoutError',
  'DeviceTimeoutError',
  'BadDeviceResponseError',
]);

const UNAUTHORIZED_HINT =
  'the hub refused the credentials: check the connection string (policy name and key) and that the policy grants RegistryRead';
const DEVICE_NOT_FOUND_HINT =
  'the device is not registered in this hub: check the device id and that the connection string names the right hub';
const ARGUMENT_HINT = 'the hub rejected the request as invalid: check the device id or the query condition';

const FATAL_BY_NAME = new Map([
  ['UnauthorizedError', UNAUTHORIZED_HINT],
  ['DeviceNotFoundError', DEVICE_NOT_FOUND_HINT],
  ['IotHubNotFoundError', 'the hub does not exist: check HostName in the connection string'],
  ['ArgumentError', ARGUMENT_HINT],
]);

const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

/**
 * Classifies errors of `azure-iothub` calls and of plain HTTP/socket failures:
 * 408/429/5xx, resets, refused connections and our own per-read timeout are transient (with the
 * response's `Retry-After`); 401/403/404/other 4xx, DNS "not found" and untrusted certificates are fatal.
 * Anything unrecognised is fatal, so a bug is reported at once instead of being retried until the deadline.
 */
export const classifyIotHubError: ErrorClassifier = (error, nowMs) => {
  if (error instanceof ReadTimeoutError) return { kind: 'transient' };
  const fields = readIotHubError(error);
  if (fields.status !== undefined) return classifyStatus(fields.status, fields.retryAfter, nowMs);
  if (fields.name && TRANSIENT_NAMES.has(fields.name)) return { kind: 'transient' };
  const fatalHint = fields.name ? FATAL_BY_NAME.get(fields.name) : undefined;
  if (fatalHint) return { kind: 'fatal', hint: fatalHint };
  if (fields.code && TRANSIENT_CODES.has(fields.code)) return { kind: 'transient' };
  if (fields.code === 'ENOTFOUND') {
    return { kind: 'fatal', hint: 'the hub host name does not resolve: check HostName / GatewayHostName' };
  }
  if (fields.code && CERTIFICATE_CODE.test(fields.code)) {
    return { kind: 'fatal', hint: "the hub's TLS certificate is not trusted: pass the CA that issued it" };
  }
  if (fields.message === 'socket hang up') return { kind: 'transient' };
  return { kind: 'fatal', hint: 'unexpected error, not retried' };
};

function classifyStatus(status: number, retryAfter: unknown, nowMs: number): ErrorClassification {
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    return retryAfterMs === undefined ? { kind: 'transient' } : { kind: 'transient', retryAfterMs };
  }
  if (status === 401) return { kind: 'fatal', hint: UNAUTHORIZED_HINT };
  if (status === 403) {
    return { kind: 'fatal', hint: 'the hub forbids the request (quota exceeded or hub suspended)' };
  }
  if (status === 404) return { kind: 'fatal', hint: DEVICE_NOT_FOUND_HINT };
  return { kind: 'fatal', hint: `${ARGUMENT_HINT} (HTTP ${status})` };
}
