import type { ServiceClients } from '@iothub-reboot/service-connection';
import type { BenchHub } from './bench-hub';
import type { DeviceEndpoint } from './devices';

/** What every scenario gets: the hub, where devices connect, and service clients over its HTTPS port. */
export interface BenchContext {
  hub: BenchHub;
  endpoint: DeviceEndpoint;
  service: ServiceClients;
  /** Closes everything a scenario opened, even when it fails. */
  defer(cleanup: () => Promise<unknown>): void;
  /** Marks `run` as one phase of the run (for the per-phase CPU profile split). */
  phase<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** Names a process the scenario started, so its CPU profile is reported under that role. */
  processRole(pid: number | undefined, role: string): void;
}

/** Invokes a method through the service SDK; anything but a 200 from the device is an error. */
export async function invokeOk(
  service: ServiceClients,
  deviceId: string,
  methodName: string,
  payload: unknown,
  expectedStatus = 200,
): Promise<void> {
  const { result } = await service.client.invokeDeviceMethod(deviceId, {
    methodName,
    payload,
    responseTimeoutInSeconds: 30,
    connectTimeoutInSeconds: 10,
  });
  const status = (result as { status?: number }).status;
  if (status !== expectedStatus) {
    throw new Error(`${methodName} on ${deviceId} answered ${String(status)}, expected ${expectedStatus}`);
  }
}
