/** How one direct-method call ended, from the caller's side. */
export type CallOutcome =
  | { kind: 'answered'; status: number; payload: unknown }
  /** 504 GatewayTimeout: the device did not answer within `responseTimeoutInSeconds`. */
  | { kind: 'timed-out' }
  /** 404103 DeviceNotOnline: the device was not connected within `connectTimeoutInSeconds`. */
  | { kind: 'device-offline' }
  /** Anything else (hub unreachable, connection reset…): `reason` is an error name or code, never a secret. */
  | { kind: 'failed'; reason: string };

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  responseBody?: unknown;
  response?: { statusCode?: unknown };
}

/** Classifies an `invokeDeviceMethod` rejection (azure-iothub errors carry the HTTP status and body). */
export function classifyCallError(err: unknown): CallOutcome {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const status = typeof e.response?.statusCode === 'number' ? e.response.statusCode : undefined;
  const body = typeof e.responseBody === 'string' ? e.responseBody : '';
  if (status === 504 || e.name === 'GatewayTimeoutError') return { kind: 'timed-out' };
  // The SDK has no class for 404103: it raises a plain Error('Not found'); the body names the code.
  if (status === 404 && /DeviceNotOnline|404103/.test(body)) return { kind: 'device-offline' };
  if (typeof e.code === 'string') return { kind: 'failed', reason: e.code };
  if (status !== undefined) return { kind: 'failed', reason: `HTTP ${status}` };
  return { kind: 'failed', reason: typeof e.name === 'string' ? e.name : 'unknown error' };
}
