/**
 * IoT Hub error names with their HTTP status and numeric code. The SDK picks its error class from the
 * status and the `ErrorCode:<Name>` prefix of the body, so both must match what a real hub sends.
 */
export const HUB_ERRORS = {
  ArgumentInvalid: { status: 400, code: 400004 },
  InvalidProtocolVersion: { status: 400, code: 400001 },
  DeviceDefinedMultipleTimes: { status: 400, code: 400011 },
  // A bulk registry request in which some operations failed: 400 with the per-device result as its body.
  BulkRegistryOperationFailure: { status: 400, code: 400013 },
  MessageTooLarge: { status: 413, code: 413001 },
  TooManyDevices: { status: 413, code: 413002 },
  IotHubUnauthorizedAccess: { status: 401, code: 401003 },
  // The web view's refusals (CSRF token, Host header): not an IoT Hub route, so a code of its own.
  Forbidden: { status: 403, code: 403000 },
  DeviceNotFound: { status: 404, code: 404001 },
  DeviceNotOnline: { status: 404, code: 404103 },
  // IoT Hub's codes for modules, as azure-iot-sdk-csharp's ErrorCode enum lists them (ModuleNotFound 404010,
  // ModuleAlreadyExistsOnDevice 409301).
  ModuleNotFound: { status: 404, code: 404010 },
  JobNotFound: { status: 404, code: 404002 },
  NotFound: { status: 404, code: 404000 },
  // CA certificates (the resource provider's `/certificates`): IoT Hub documents no numeric codes for them.
  CertificateNotFound: { status: 404, code: 404000 },
  CertificateAlreadyExists: { status: 409, code: 409000 },
  MethodNotAllowed: { status: 405, code: 405000 },
  DeviceAlreadyExists: { status: 409, code: 409001 },
  ModuleAlreadyExistsOnDevice: { status: 409, code: 409301 },
  // IoT Hub documents no code for a duplicate job id; the status is what the SDK acts on.
  JobAlreadyExists: { status: 409, code: 409000 },
  PreconditionFailed: { status: 412, code: 412001 },
  RequestTimeout: { status: 408, code: 408000 },
  // "IoT Hub quotas and throttling": over a limit IoT Hub answers 429; the client backs off and retries.
  ThrottlingException: { status: 429, code: 429001 },
  // Traffic shaping: the request found its class's backlog full (IoT Hub error codes page, 429002; the name
  // is azure-iot-sdk-csharp's ErrorCode enum). Same status, so the SDKs still raise their ThrottlingError.
  ThrottleBacklogLimitExceeded: { status: 429, code: 429002 },
  ServerError: { status: 500, code: 500001 },
  BadDeviceResponse: { status: 502, code: 502001 },
  ServiceUnavailable: { status: 503, code: 503000 },
  GatewayTimeout: { status: 504, code: 504101 },
  // An IoT Hub route the local hub does not implement: never a 404, which the SDK reads as "not found".
  NotImplemented: { status: 501, code: 501000 },
} as const;

export type HubErrorName = keyof typeof HUB_ERRORS;

/** A failure the hub reports to a client in IoT Hub's own format. The message is user-facing and secret-free. */
export class HubError extends Error {
  override readonly name = 'HubError';
  readonly status: number;
  readonly code: number;

  constructor(
    readonly errorName: HubErrorName,
    message: string,
  ) {
    super(message);
    this.status = HUB_ERRORS[errorName].status;
    this.code = HUB_ERRORS[errorName].code;
  }
}
