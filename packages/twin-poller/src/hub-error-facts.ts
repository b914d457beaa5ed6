/** What identifies a failed `azure-iothub` call (or a socket error under it), read without trusting its shape. */
export interface IotHubErrorFacts {
  /** The error class: azure-iot-common's (`DeviceNotFoundError`, …) or Node's (`Error`). */
  name: string | undefined;
  /** A socket or TLS code (`ECONNREFUSED`, `SELF_SIGNED_CERT_IN_CHAIN`, …). */
  code: string | undefined;
  message: string | undefined;
  /** The HTTP status of the hub's answer. */
  status: number | undefined;
  /**
   * IoT Hub's error name, from the `ErrorCode:<Name>;` body or the `iothub-errorcode` header. The SDK has
   * no class for some (404103 DeviceNotOnline arrives as a plain `Error('Not found')`), so this is what tells them apart.
   */
  hubErrorCode: string | undefined;
  /** The answer's body as text ('' when none). */
  responseBody: string;
  /** The `Retry-After` header as sent. */
  retryAfter: unknown;
}

/**
 * Reads the fields of anything `azure-iothub` rejects with: the status and headers sit on `response`
 * (our own CapturedError keeps the status at the top), the body on `responseBody`.
 */
export function readIotHubError(error: unknown): IotHubErrorFacts {
  const e = isRecord(error) ? error : {};
  const response = isRecord(e.response) ? e.response : {};
  const headers = isRecord(response.headers) ? response.headers : {};
  const status = response.statusCode ?? e.statusCode;
  const responseBody = typeof e.responseBody === 'string' ? e.responseBody : '';
  const header = headers['iothub-errorcode'];
  return {
    name: typeof e.name === 'string' ? e.name : undefined,
    code: typeof e.code === 'string' ? e.code : undefined,
    message: typeof e.message === 'string' ? e.message : undefined,
    status: typeof status === 'number' && Number.isInteger(status) ? status : undefined,
    hubErrorCode:
      /ErrorCode:([A-Za-z]+)/.exec(responseBody)?.[1] ?? (typeof header === 'string' ? header : undefined),
    responseBody,
    retryAfter: headers['retry-after'],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
