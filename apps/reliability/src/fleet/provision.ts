import { mapSettledWithLimit } from '@iothub-reboot/app-kit';
import { formatDeviceConnectionString } from '@iothub-reboot/local-hub';
import type { Registry } from 'azure-iothub';

/** Where provisioned devices connect. */
export interface DeviceEndpoint {
  /** The hub name signed into the SAS tokens. */
  hostName: string;
  /** The port the devices dial on 127.0.0.1 (the hub's MQTT port, or a proxy in front of it). */
  mqttPort: number;
}

/** Thrown when identities cannot be created. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

/**
 * Creates (or reuses) device identities through the service registry and returns their key-based
 * connection strings, in the order of `deviceIds`.
 */
export async function provisionDevices(
  registry: Pick<Registry, 'create' | 'get'>,
  deviceIds: readonly string[],
  endpoint: DeviceEndpoint,
): Promise<string[]> {
  const results = await mapSettledWithLimit(deviceIds, 20, async (deviceId) => {
    const { responseBody } = await registry.create({ deviceId }).catch(async (err: unknown) => {
      if ((err as Error).name !== 'DeviceAlreadyExistsError') throw err;
      return registry.get(deviceId);
    });
    const key = responseBody.authentication?.symmetricKey?.primaryKey;
    if (!key) throw new ProvisionError(`device ${deviceId} has no symmetric key`);
    return formatDeviceConnectionString({
      hostName: endpoint.hostName,
      deviceId,
      key,
      mqttPort: endpoint.mqttPort,
    });
  });
  const failed = results.findIndex((result) => result.status === 'rejected');
  if (failed >= 0) {
    const reason = (results[failed] as PromiseRejectedResult).reason as Error;
    throw new ProvisionError(`could not create device ${deviceIds[failed]}: ${reason.name}`);
  }
  return results.map((result) => (result as PromiseFulfilledResult<string>).value);
}
