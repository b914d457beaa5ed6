import { readIotHubError } from '@iothub-reboot/twin-poller';

/** How one direct-method call ended, from the caller's side. */
export type CallOutcome =
  | { kind: 'answered'; status: number; payload: unknown }
  /** 504 GatewayTimeout: the device did not answer within `responseTimeoutInSeconds`. */
  | { kind: 'timed-out' }
  /** 404103 DeviceNotOnline: the device was not connected within `connectTimeoutInSeconds`. */
  | { kind: 'device-offline' }
  /** Anything else (hub unreachable, connection reset…): `reason` is an error name or code, never a secret. */
  | { kind: 'failed'; reason: string };

/** Classifies an `invokeDeviceMethod` rejection (azure-iothub errors carry the HTTP status and body). */
export function classifyCallError(err: unknown): CallOutcome {
  const f = readIotHubError(err);
  if (f.status === 504 || f.name === 'GatewayTimeoutError') return { kind: 'timed-out' };
  // The SDK has no class for 404103: it raises a plain Error('Not found'); the body names the code.
  if (f.status === 404 && (f.hubErrorCode === 'DeviceNotOnline' || /404103/.test(f.responseBody))) {
    return { kind: 'device-offline' };
  }
  if (f.code !== undefined) return { kind: 'failed', reason: f.code };
  if (f.status !== undefined) return { kind: 'failed', reason: `HTTP ${f.status}` };
  return { kind: 'failed', reason: f.name ?? 'unknown error' };
}
