import { mapSettledWithLimit } from '@iothub-reboot/app-kit';
import { buildRebootReport } from '@iothub-reboot/contracts';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import type { Registry } from 'azure-iothub';

/** A device identity created for the run. */
export interface Identity {
  deviceId: string;
  primaryKey: string;
}

/** Where devices connect. */
export interface DeviceEndpoint {
  hostName: string;
  mqttPort: number;
  caPem: string;
}

/** Creates the devices in the hub's registry through the service SDK. */
export async function createIdentities(
  registry: Registry,
  deviceIds: readonly string[],
): Promise<Identity[]> {
  return settledOrThrow(
    await mapSettledWithLimit(deviceIds, 16, async (deviceId) => {
      const { responseBody } = await registry.create({ deviceId });
      const primaryKey = responseBody.authentication?.symmetricKey?.primaryKey;
      if (!primaryKey) throw new Error(`the hub created ${deviceId} without a symmetric key`);
      return { deviceId, primaryKey };
    }),
  );
}

/** Opens one real `azure-iot-device` MQTT client per identity (TLS, the hub's CA). */
export async function openDevices(
  endpoint: DeviceEndpoint,
  identities: readonly Identity[],
): Promise<Client[]> {
  return settledOrThrow(
    await mapSettledWithLimit(identities, 20, async ({ deviceId, primaryKey }) => {
      const client = Client.fromConnectionString(
        `HostName=${endpoint.hostName};DeviceId=${deviceId};SharedAccessKey=${primaryKey};GatewayHostName=127.0.0.1:${endpoint.mqttPort}`,
        Mqtt,
      );
      await client.setOptions({ ca: endpoint.caPem });
      await client.open();
      return client;
    }),
  );
}

/** Registers a method that answers 200 at once: the SDK path with no device work. */
export function answerNoop(client: Client, methodName: string, onError: (err: unknown) => void): void {
  client.onDeviceMethod(methodName, (_request, response) => {
    response.send(200, null).catch(onError);
  });
}

/**
 * Registers a method that does, with bare SDK calls, what `rebootDevice` does on the wire: patch the
 * reported properties (the same patch: reboot time and start), wait for the hub's answer, then answer
 * the method with the same body. The least any report-then-respond handler built on azure-iot-device can
 * cost; it is invoked with the same payload, so the two series differ only in the device's own work.
 */
export async function answerBareReport(
  client: Client,
  methodName: string,
  onError: (err: unknown) => void,
): Promise<void> {
  const twin = await client.getTwin();
  client.onDeviceMethod(methodName, (_request, response) => {
    const startedAt = new Date();
    const rebooted = new Date();
    twin.properties.reported.update(buildRebootReport(rebooted, { startedAt }), (err?: Error) => {
      if (err) onError(err);
      const rebootTime = rebooted.toISOString();
      const body = { result: 'rebooted', rebootTime, message: `Device rebooted at ${rebootTime}.` };
      response.send(err ? 500 : 200, err ? null : body).catch(onError);
    });
  });
}

/** The values, or the first failure (with how many failed) when any task failed. */
export function settledOrThrow<T>(results: readonly PromiseSettledResult<T>[]): T[] {
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  const first = failed[0];
  if (first !== undefined) {
    const reason = first.reason as Error;
    throw new Error(`${failed.length} of ${results.length} failed; first: ${reason.message}`, {
      cause: reason,
    });
  }
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
